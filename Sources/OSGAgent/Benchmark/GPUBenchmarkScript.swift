/// The GPU benchmark's program: Python with PyTorch and CUDA, run as
/// `python3 -c <source> '{"gpus": [0, 1]}'` by ``GPUBenchmark``.
///
/// For each GPU index asked for (the driver's numbering, as `nvidia-smi` shows it: the runner
/// sets `CUDA_DEVICE_ORDER=PCI_BUS_ID` and drops `CUDA_VISIBLE_DEVICES`), on that device:
/// - **memory bandwidth**: a device-to-device copy of a large buffer, read and write bytes both
///   counted (as STREAM's copy counts them);
/// - **FP32 throughput**: `C = A × B` on `n × n` single-precision matrices (n = 8192 when
///   memory allows), TF32 disabled, so the figure is true FP32; `2n³` operations a product;
/// - **dense FP16 throughput**: the same product on half-precision matrices;
/// - **host-to-device and device-to-host bandwidth**: copies between pinned host memory and the
///   device.
///
/// Buffers are sized from the device's free memory (half of it at most), so a small or busy
/// GPU gets smaller work rather than running out of memory. Each figure is the best of three
/// timed batches of about 0.1 s, after a warm-up, timed with CUDA events: about 2 s a GPU.
/// MB is 10^6 bytes, GFLOP 10^9 operations.
///
/// It prints one line of JSON on stdout (``GPUBenchmarkOutput`` reads it):
/// ```json
/// {"format":1,"tool":"pytorch","tool_version":"2.5.1+cu124","cuda":"12.4",
///  "gpus":[{"index":0,"name":"NVIDIA H100 80GB HBM3","fp16_dense_gflops":611234.5,
///           "fp32_gflops":51234.2,"memory_bandwidth_mbps":2876543.1,
///           "host_to_device_mbps":52345.6,"device_to_host_mbps":51234.5,"seconds":2.1}]}
/// ```
/// When PyTorch cannot be imported or sees no CUDA device, it prints
/// `{"format":1,"unavailable":"<reason>"}` and exits 0: a host without the tool is normal. A
/// bad argument or an index CUDA does not see exits 2 with the reason on stderr; a failure
/// while measuring (out of memory, a CUDA error) exits 1 with Python's traceback on stderr.
enum GPUBenchmarkScript {
    /// The output format this program prints (``GPUBenchmarkOutput/format``).
    static let format = 1

    /// The program's source.
    static let source = #"""
        import json
        import sys
        import time

        MB = 1e6
        GFLOP = 1e9
        MIB = 1 << 20
        GIB = 1 << 30
        BATCH_SECONDS = 0.1
        REPEATS = 3


        def emit(document):
            sys.stdout.write(json.dumps(document, allow_nan=False, separators=(",", ":")) + "\n")
            sys.stdout.flush()


        def unavailable(reason):
            emit({"format": 1, "unavailable": reason})
            sys.exit(0)


        def batch_seconds(torch, work, calls):
            """Seconds `calls` runs of `work` take on the current device, by CUDA events."""
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(calls):
                work()
            end.record()
            end.synchronize()
            return start.elapsed_time(end) / 1000.0


        def best_rate(torch, work, amount):
            """`amount` per second of the fastest of REPEATS batches of `work`, after a warm-up;
            a batch repeats `work` for about BATCH_SECONDS."""
            work()
            torch.cuda.synchronize()
            once = max(batch_seconds(torch, work, 1), 1e-6)
            calls = max(1, min(1000, int(BATCH_SECONDS / once)))
            fastest = min(batch_seconds(torch, work, calls) for _ in range(REPEATS))
            return amount * calls / max(fastest, 1e-9)


        def matrix_side(budget, element_bytes):
            """The largest power-of-two side up to 8192 whose three matrices fit in `budget`."""
            side = 8192
            while side > 512 and 3 * side * side * element_bytes > budget:
                side //= 2
            return side


        def matmul_gflops(torch, device, dtype, element_bytes, budget):
            side = matrix_side(budget, element_bytes)
            a = torch.randn(side, side, device=device, dtype=dtype)
            b = torch.randn(side, side, device=device, dtype=dtype)
            c = torch.empty(side, side, device=device, dtype=dtype)
            rate = best_rate(torch, lambda: torch.matmul(a, b, out=c), 2.0 * side * side * side)
            del a, b, c
            return rate / GFLOP


        def measure(torch, index):
            started = time.perf_counter()
            device = torch.device("cuda", index)
            torch.cuda.set_device(device)
            name = torch.cuda.get_device_name(index)
            free, _ = torch.cuda.mem_get_info(index)
            budget = free // 2

            copy_bytes = max(16 * MIB, min(GIB, budget // 4))
            source = torch.empty(copy_bytes, dtype=torch.uint8, device=device)
            target = torch.empty(copy_bytes, dtype=torch.uint8, device=device)
            memory = best_rate(torch, lambda: target.copy_(source), 2.0 * copy_bytes) / MB
            del source, target

            torch.backends.cuda.matmul.allow_tf32 = False
            fp32 = matmul_gflops(torch, device, torch.float32, 4, budget)
            fp16 = matmul_gflops(torch, device, torch.float16, 2, budget)

            host_bytes = max(16 * MIB, min(256 * MIB, budget // 4))
            pinned = torch.empty(host_bytes, dtype=torch.uint8, pin_memory=True)
            resident = torch.empty(host_bytes, dtype=torch.uint8, device=device)
            to_device = best_rate(torch, lambda: resident.copy_(pinned, non_blocking=True), float(host_bytes)) / MB
            to_host = best_rate(torch, lambda: pinned.copy_(resident, non_blocking=True), float(host_bytes)) / MB
            del pinned, resident
            torch.cuda.empty_cache()

            return {
                "index": index,
                "name": name,
                "fp16_dense_gflops": round(fp16, 1),
                "fp32_gflops": round(fp32, 1),
                "memory_bandwidth_mbps": round(memory, 1),
                "host_to_device_mbps": round(to_device, 1),
                "device_to_host_mbps": round(to_host, 1),
                "seconds": round(time.perf_counter() - started, 3),
            }


        def main():
            # With -c, sys.path starts with the working directory: a torch.py there must not
            # stand in for PyTorch.
            sys.path[:] = [entry for entry in sys.path if entry not in ("", ".")]
            try:
                indices = [int(index) for index in json.loads(sys.argv[1])["gpus"]]
            except Exception as error:
                sys.stderr.write("usage: python3 -c <program> '{\"gpus\": [0, 1]}' (%s: %s)\n" % (type(error).__name__, error))
                sys.exit(2)
            try:
                import torch
            except Exception as error:
                unavailable("PyTorch (torch) cannot be imported: %s: %s" % (type(error).__name__, error))
            if torch.version.cuda is None:
                unavailable("torch %s is a build without CUDA; install a CUDA build of PyTorch" % torch.__version__)
            if not torch.cuda.is_available():
                unavailable("torch %s (CUDA %s) finds no usable CUDA device; check the NVIDIA driver" % (torch.__version__, torch.version.cuda))
            count = torch.cuda.device_count()
            absent = [index for index in indices if index < 0 or index >= count]
            if absent:
                sys.stderr.write("GPU index %s not among the %d CUDA devices torch sees\n" % (absent, count))
                sys.exit(2)
            gpus = [measure(torch, index) for index in indices]
            emit({
                "format": 1,
                "tool": "pytorch",
                "tool_version": str(torch.__version__),
                "cuda": torch.version.cuda,
                "gpus": gpus,
            })


        main()
        """#
}
