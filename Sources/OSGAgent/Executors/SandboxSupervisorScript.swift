import Foundation

/// The supervisor of one lease: a bash script the executor writes into the lease directory and
/// starts in a session of its own. It runs as root outside the sandbox, so the job cannot reach
/// it or its files, and it outlives the agent.
///
/// It records its pid, applies the limits, starts bubblewrap as the lease's uid, kills the
/// sandbox at `maxDurationSeconds`, and when the sandbox ends writes how the job ended to
/// `status`. bubblewrap's pid namespace guarantees nothing the job started survives it: when the
/// sandbox's init ends, the kernel kills every process in the namespace.
///
/// With the argument `kill-after <seconds>` it instead waits that long and kills the sandbox if
/// the job still runs (the executor's grace period, enforced even if the agent dies meanwhile).
struct SandboxSupervisorScript: Sendable, Hashable {
    var leaseDirectory: String
    var bwrapPath: String
    /// The host uid (and gid) the sandbox runs as, or `nil` to keep the supervisor's own (an
    /// agent that does not run as root cannot change it).
    var jobUID: UInt32?
    var maxDurationSeconds: Int64
    var memoryBytes: Int64
    var cpuCores: Int
    var pidsMax: Int
    var limits: SandboxLimits

    /// The script's text.
    var text: String {
        precondition(maxDurationSeconds > 0 && memoryBytes > 0 && cpuCores > 0 && pidsMax > 0)
        let cgroup: String
        if case .cgroup(let path) = limits { cgroup = path } else { cgroup = "" }
        let dropPrivileges: String
        if let jobUID {
            // Become the lease's uid with no groups and no capabilities (bounding set included)
            // before bubblewrap runs; no_new_privs keeps it so across any setuid binary.
            dropPrivileges = "setpriv --reuid=\(jobUID) --regid=\(jobUID) --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs"
        } else {
            dropPrivileges = ""
        }
        // Without a uid of its own the lease would share RLIMIT_NPROC's count with the agent.
        let processLimit = jobUID == nil ? "" : " -u \"$pids_max\""
        return """
            #!/bin/bash
            # OpenStargate lease supervisor, written by SandboxExecutor. It runs as root outside the
            # sandbox, in a session of its own, so the job outlives an agent restart; it enforces the
            # hard stop and records how the job ended in `status`, which the job cannot reach.
            set -u
            lease_dir=\(Self.quoted(leaseDirectory))
            bwrap=\(Self.quoted(bwrapPath))
            max_seconds=\(maxDurationSeconds)
            memory_bytes=\(memoryBytes)
            cpu_max='\(cpuCores * 100_000) 100000'
            pids_max=\(pidsMax)
            cgroup=\(Self.quoted(cgroup))
            drop_privileges=(\(dropPrivileges))
            cd "$lease_dir" || exit 70
            umask 077   # our files are root's alone
            # Only the executor's files stop a job: terminal and session signals do not.
            trap '' HUP INT QUIT TERM PIPE USR1 USR2

            write_status() { printf '%s\\n' "$1" > status.tmp && mv -f status.tmp status; }
            identity() { local stat; read -r -a stat < "/proc/$1/stat" && printf '%s %s\\n' "$1" "${stat[21]}"; }

            if [ "${1:-}" = kill-after ]; then
              # Wait out the grace period (in steps, so as not to outlive a job that ends sooner).
              # Each step is a timed read of a pipe nobody writes to: no process per step.
              exec {pause}<> <(:)
              deadline=$((SECONDS + $2))
              while [ "$SECONDS" -lt "$deadline" ]; do
                [ -e status ] && exit 0
                read -r -t 0.2 -u "$pause" _
              done
              [ -e status ] && exit 0
              read -r pid start < sandbox.pid || exit 0
              [ "$(identity "$pid" 2>/dev/null)" = "$pid $start" ] && kill -KILL "$pid"
              exit 0
            fi

            # Pid records are written in one write, not through a temporary file and mv: a start
            # execs as few programs as it can (each exec costs ~1.5 ms of CPU on a VM), and readers
            # take a record only once its newline, the last byte, is there.
            identity $$ > supervisor.pid || exit 70
            # Sets oom_count to a file's oom_kill count: no subshell (a start forks as little as it
            # can), and the file read whole (line by line, bash would re-read /proc/vmstat per line).
            oom_kills() {
              local text= pattern=$'\\n''oom_kill ([0-9]+)'
              oom_count=
              read -r -d '' text < "$1"
              [[ $'\\n'$text =~ $pattern ]] && oom_count=${BASH_REMATCH[1]}
              return 0
            }
            oom_kills /proc/vmstat
            host_oom_before=$oom_count

            if [ -n "$cgroup" ]; then
              if ! { mkdir -p "$cgroup" && echo "$cpu_max" > "$cgroup/cpu.max" && echo "$memory_bytes" > "$cgroup/memory.max" \\
                     && echo "$pids_max" > "$cgroup/pids.max"; }; then
                write_status "fault could not configure the lease's cgroup $cgroup"; exit 0
              fi
              [ -e "$cgroup/memory.swap.max" ] && echo 0 > "$cgroup/memory.swap.max"
            fi

            mapfile -d '' -t command < command
            (
              # The job gets default signal dispositions (an ignored SIGTERM or SIGPIPE would be inherited).
              trap - HUP INT QUIT TERM PIPE USR1 USR2
              umask 022
              if [ -n "$cgroup" ]; then
                echo "$BASHPID" > "$cgroup/cgroup.procs" || exit 71
              else
                ulimit -d $((memory_bytes / 1024)) -c 0\(processLimit) || exit 71
              fi
              exec "${drop_privileges[@]}" "$bwrap" --args \(SandboxArguments.argumentsFD) -- "${command[@]}" \\
                \(SandboxArguments.argumentsFD)<bwrap.args \(SandboxArguments.statusFD)>sandbox.json \(SandboxArguments.passwdFD)<passwd \(SandboxArguments.groupFD)<group \(SandboxArguments.hostsFD)<hosts \\
                </dev/null >>stdout 2>>stderr
            ) &
            sandbox=$!
            identity "$sandbox" > sandbox.pid

            # The hard stop: whichever ends first, the sandbox or the clock. The clock is a timed
            # read of the lease's FIFO, which nobody writes to, in a subshell: no exec of sleep.
            read -r -t "$max_seconds" _ <> timer.fifo &
            timer=$!
            ended=
            wait -n -p ended "$sandbox" "$timer"
            code=$?
            if [ "$ended" = "$timer" ]; then
              : > timed-out
              kill -KILL "$sandbox"
              wait "$sandbox"
              code=$?
            else
              kill -KILL "$timer" 2>/dev/null   # it inherited our ignored SIGTERM
              wait "$timer" 2>/dev/null
            fi

            oom=0
            if [ -n "$cgroup" ]; then
              [ -e "$cgroup/cgroup.kill" ] && echo 1 > "$cgroup/cgroup.kill"
              oom_kills "$cgroup/memory.events"
              [ "$oom_count" != 0 ] && oom=1
            fi
            exit_code=
            while IFS= read -r line; do
              [[ $line =~ \\"exit-code\\":\\ *([0-9]+) ]] && exit_code=${BASH_REMATCH[1]}
            done < sandbox.json
            [ -z "$cgroup" ] && [ "$exit_code" = 137 ] && oom_kills /proc/vmstat
            if [ -z "$cgroup" ] && [ "$exit_code" = 137 ] && [ "$oom_count" != "$host_oom_before" ]; then
              oom=1   # SIGKILLed while the kernel's OOM killer killed something: most likely the job.
            fi

            if [ -e timed-out ]; then write_status timedout
            elif [ -e stop-requested ]; then write_status stopped
            elif [ "$oom" = 1 ]; then write_status oom
            elif [ -n "$exit_code" ] && [ "$exit_code" -gt 128 ] && [ "$exit_code" -lt 160 ]; then write_status "signalled $((exit_code - 128))"
            elif [ -n "$exit_code" ]; then write_status "exited $exit_code"
            elif [ "$code" = 71 ]; then write_status "fault could not apply the lease's limits"
            else
              reason=$(grep -a -m1 '^bwrap: ' stderr | cut -c1-300)
              if [[ $reason == "bwrap: execvp "* ]]; then
                # The sandbox ran but the job's program is not there (in the image, or on the host):
                # the job's mistake, with the exit code a shell gives it; the reason is on its stderr.
                if [[ $reason == *"No such file or directory"* ]]; then write_status "exited 127"; else write_status "exited 126"; fi
              else
                write_status "fault the sandbox did not run the job (bubblewrap exit $code): ${reason:-no message}"
              fi
            fi
            exit 0

            """
    }

    /// `text` in single quotes for bash.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
