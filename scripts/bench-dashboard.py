#!/usr/bin/env python3
# The dashboard's data endpoints under a steady 100 requests/s (the page polls seven of them),
# one keep-alive connection, for SECONDS; prints the latency percentiles. Run it against a devnet
# with its demo stream: `osg devnet --demo --port 7070` then `scripts/bench-dashboard.py 7070 30`.
# Loopback only. Report the figure with ../shared/tools/machine-index measured in the same run.
import http.client, time, sys
paths=["/v1/stats","/v1/market","/v1/nodes","/v1/set-asides","/v1/carbon","/v1/lockups","/log/checkpoint"]
port=int(sys.argv[1]); seconds=float(sys.argv[2]); rate=100.0
conn=http.client.HTTPConnection("127.0.0.1",port)
lat=[]; start=time.perf_counter(); n=0
while True:
    due=start+n/rate
    now=time.perf_counter()
    if now-start>seconds: break
    if due>now: time.sleep(due-now)
    t=time.perf_counter()
    conn.request("GET",paths[n%len(paths)]); r=conn.getresponse(); r.read()
    assert r.status==200, (paths[n%len(paths)], r.status)
    lat.append((time.perf_counter()-t)*1000); n+=1
lat.sort()
q=lambda p: lat[min(len(lat)-1,int(len(lat)*p))]
print(f"requests {n} in {seconds:.0f} s ({n/seconds:.0f}/s): p50 {q(0.5):.2f} ms p90 {q(0.9):.2f} ms p99 {q(0.99):.2f} ms max {lat[-1]:.2f} ms")
