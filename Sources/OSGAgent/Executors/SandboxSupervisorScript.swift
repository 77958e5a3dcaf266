import Crypto
import Foundation
import OSGDomain

/// The supervisor of a lease: a bash script the executor writes once into its state directory
/// (``fileName``, named by a digest of its text, never rewritten) and starts for each lease, in
/// a session of its own, with the lease's parameters as arguments (``runArguments``). It runs
/// as root outside the sandbox, so the job cannot reach it or its files, and it outlives the
/// agent. One script for every lease: a start writes no script of its own.
///
/// It records its pid, applies the limits, starts bubblewrap as the lease's uid, kills the
/// sandbox at `maxDurationSeconds`, and when the sandbox ends writes how the job ended to
/// `status`. bubblewrap's pid namespace guarantees nothing the job started survives it: when the
/// sandbox's init ends, the kernel kills every process in the namespace.
///
/// Its clock for the hard stop is a timed read of a pipe the executor hands it as descriptors
/// ``timerReadFD`` and ``timerWriteFD`` (it holds both ends, so the read sees neither data nor an
/// end of file): no file and no process per lease. Started without them, it makes its own.
///
/// With the arguments `kill-after <lease directory> <seconds>` it instead waits that long and
/// kills the sandbox if the job still runs (the executor's grace period, enforced even if the
/// agent dies meanwhile).
///
/// With `warm` (``warmArguments``) it makes a sandbox ahead of its lease (see
/// ``SandboxWarmSlot``): its first process is ``launcher``, which waits, as the lease's user
/// inside, for the job. The supervisor waits on its control pipe (``controlFD``, the executor
/// holds the write end) for `go MAX_SECONDS CPU_CORES\n` followed by the job (NUL-separated: the
/// number of environment variables, the variables, the command) up to the pipe's end; it then
/// sets the lease's CPU share, hands the job to the launcher through ``launchWriteFD`` (the
/// launcher reads ``launchReadFD``, then writes one byte to ``startedFD``, which the executor
/// reads, and becomes the job), and supervises it as a `run` does. The end of the control pipe
/// without `go` (the agent stopped or let the slot go) ends the sandbox unused.
struct SandboxSupervisorScript: Sendable, Hashable {
    var leaseDirectory: String
    /// The executor's folder of files every lease shares: the job's `passwd`, `group` and
    /// `hosts` (see ``SandboxArguments``).
    var sharedDirectory: String
    var bwrapPath: String
    /// The host uid (and gid) the sandbox runs as, or `nil` to keep the supervisor's own (an
    /// agent that does not run as root cannot change it).
    var jobUID: UInt32?
    var maxDurationSeconds: Int64
    var memoryBytes: Int64
    var cpuCores: Int
    var pidsMax: Int
    var limits: SandboxLimits

    /// The descriptors of the hard stop's pipe (read end, write end) in the supervisor.
    static let timerReadFD: Int32 = 9
    static let timerWriteFD: Int32 = 10
    /// A warm supervisor's control pipe (read end), the launcher's pipe (read end passed into
    /// the sandbox, write end the supervisor's), and the launcher's "started" pipe (write end
    /// passed into the sandbox; the executor reads the other end).
    static let controlFD: Int32 = 11
    static let launchReadFD: Int32 = 12
    static let launchWriteFD: Int32 = 13
    static let startedFD: Int32 = 14

    /// The arguments that follow the script's path for a warm sandbox (``maxDurationSeconds``
    /// and ``cpuCores`` come later, on the control pipe).
    var warmArguments: [String] {
        precondition(memoryBytes > 0 && pidsMax > 0)
        precondition([leaseDirectory, sharedDirectory, bwrapPath].allSatisfy { $0.hasPrefix("/") }, "absolute paths")
        let cgroup: String
        if case .cgroup(let path) = limits { cgroup = path } else { cgroup = "" }
        return ["warm", leaseDirectory, sharedDirectory, bwrapPath, String(memoryBytes), String(pidsMax), cgroup, jobUID.map(String.init) ?? ""]
    }

    /// What the executor writes on a warm supervisor's control pipe to start a lease's job there:
    /// the `go` line (the hard stop, the CPU share and the number of fields that follow, so that
    /// a message cut short is never run), then the job's variables (`NAME=value`, counted first)
    /// and command, each NUL-terminated.
    static func goMessage(maxDurationSeconds: Int64, cpuCores: Int, environment: [(name: String, value: String)], command: [String]) -> [UInt8] {
        precondition(maxDurationSeconds > 0 && cpuCores > 0 && !command.isEmpty)
        let fields = [String(environment.count)] + environment.map { "\($0.name)=\($0.value)" } + command
        var bytes = Array("go \(maxDurationSeconds) \(cpuCores) \(fields.count)\n".utf8)
        for field in fields {
            precondition(!field.utf8.contains(0), "validated: no NUL")
            bytes += field.utf8
            bytes.append(0)
        }
        return bytes
    }

    /// A warm sandbox's first process (bash, as the lease's user inside, in `/work`, with no
    /// environment): says it is ready on ``startedFD`` (`r`: the sandbox is built), reads the job
    /// from ``launchReadFD`` up to its end, exports its variables (never on a command line, which
    /// every host user can read; see ``WarmLeaseShape`` for the names that qualify), says it
    /// starts it (`x`, with SIGPIPE ignored so that an agent gone meanwhile does not kill it), and
    /// becomes the job through `env`, which drops the variables bash adds of its own (`PWD`,
    /// `OLDPWD`, `SHLVL`, `_`): the job gets exactly the lease's variables, default signal
    /// dispositions and only its standard streams. With no job (the slot was let go) it ends.
    static let launcher = #"trap '' PIPE; printf r >&14; mapfile -d "" -t job <&12; exec 12<&-; [ "${#job[@]}" -gt 1 ] || exit 0; "#
        + #"n=${job[0]}; for variable in "${job[@]:1:n}"; do export "$variable" || exit 125; done; printf x >&14; trap - PIPE; "#
        + #"exec /usr/bin/env -u PWD -u OLDPWD -u SHLVL -u _ -- "${job[@]:n+1}" 14>&-"#

    /// The arguments that follow the script's path for a lease's run.
    var runArguments: [String] {
        precondition(maxDurationSeconds > 0 && memoryBytes > 0 && cpuCores > 0 && pidsMax > 0)
        precondition([leaseDirectory, sharedDirectory, bwrapPath].allSatisfy { $0.hasPrefix("/") }, "absolute paths")
        let cgroup: String
        if case .cgroup(let path) = limits { cgroup = path } else { cgroup = "" }
        return [
            "run", leaseDirectory, sharedDirectory, bwrapPath, String(maxDurationSeconds), String(memoryBytes), String(cpuCores), String(pidsMax), cgroup,
            jobUID.map(String.init) ?? "",
        ]
    }

    /// The arguments that follow the script's path for the grace-period killer of a lease.
    static func killAfterArguments(leaseDirectory: String, seconds: Int64) -> [String] {
        ["kill-after", leaseDirectory, String(max(0, seconds))]
    }

    /// The script's file name in the executor's state directory: its text's digest, so a new
    /// version of the script is a new file and a running supervisor's file never changes under it
    /// (bash reads its script as it goes). Computed once: every start names it.
    static let fileName = "supervisor-\(Hex.encode(Array(SHA256.hash(data: Data(text.utf8))).prefix(8))).sh"

    /// The script's path in the executor's shared folder `sharedDirectory`.
    static func url(in sharedDirectory: URL) -> URL {
        sharedDirectory.appendingPathComponent(fileName, isDirectory: false)
    }

    /// The script's text (the same for every lease).
    static let text: String = """
            #!/bin/bash
            # OpenStargate lease supervisor, written by SandboxExecutor. It runs as root outside the
            # sandbox, in a session of its own, so the job outlives an agent restart; it enforces the
            # hard stop and records how the job ended in `status`, which the job cannot reach.
            # Usage: run LEASE_DIR SHARED_DIR BWRAP MAX_SECONDS MEMORY_BYTES CPU_CORES PIDS_MAX CGROUP JOB_UID
            #        warm SLOT_DIR SHARED_DIR BWRAP MEMORY_BYTES PIDS_MAX CGROUP JOB_UID
            #        kill-after LEASE_DIR SECONDS
            set -u
            mode=${1:-}
            lease_dir=${2:?the lease directory}
            if [ "$mode" = run ]; then
              shared_dir=$3 bwrap=$4 max_seconds=$5 memory_bytes=$6 cpu_cores=$7 pids_max=$8 cgroup=$9 job_uid=${10}
            elif [ "$mode" = warm ]; then
              # A sandbox made ahead of its lease: the hard stop and the CPU share come with the lease.
              shared_dir=$3 bwrap=$4 memory_bytes=$5 pids_max=$6 cgroup=$7 job_uid=$8 max_seconds= cpu_cores=
            elif [ "$mode" != kill-after ]; then
              echo "usage: $0 run LEASE_DIR SHARED_DIR BWRAP MAX_SECONDS MEMORY_BYTES CPU_CORES PIDS_MAX CGROUP JOB_UID | warm SLOT_DIR SHARED_DIR BWRAP MEMORY_BYTES PIDS_MAX CGROUP JOB_UID | kill-after LEASE_DIR SECONDS" >&2
              exit 64
            fi
            if [ "$mode" != kill-after ]; then
              drop_privileges=()
              if [ -n "$job_uid" ]; then
                # Become the lease's uid with no groups and no capabilities (bounding set included)
                # before bubblewrap runs; no_new_privs keeps it so across any setuid binary.
                drop_privileges=(setpriv --reuid="$job_uid" --regid="$job_uid" --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs)
              fi
            fi
            cd "$lease_dir" || exit 70
            umask 077   # our files are root's alone
            # Only the executor's files stop a job: terminal and session signals do not.
            trap '' HUP INT QUIT TERM PIPE USR1 USR2

            write_status() { printf '%s\\n' "$1" > status.tmp && mv -f status.tmp status; }
            identity() { local stat; read -r -a stat < "/proc/$1/stat" && printf '%s %s\\n' "$1" "${stat[21]}"; }

            if [ "$mode" = kill-after ]; then
              # Wait out the grace period (in steps, so as not to outlive a job that ends sooner).
              # Each step is a timed read of a pipe nobody writes to: no process per step.
              exec {pause}<> <(:)
              deadline=$((SECONDS + $3))
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
              # A warm sandbox's CPU share is set when its lease comes (below).
              if ! { mkdir -p "$cgroup" && echo "$memory_bytes" > "$cgroup/memory.max" && echo "$pids_max" > "$cgroup/pids.max" \\
                     && { [ -z "$cpu_cores" ] || echo "$((cpu_cores * 100000)) 100000" > "$cgroup/cpu.max"; }; }; then
                write_status "fault could not configure the lease's cgroup $cgroup"; exit 0
              fi
              [ -e "$cgroup/memory.swap.max" ] && echo 0 > "$cgroup/memory.swap.max"
            fi

            if [ "$mode" = warm ]; then
              command=(/bin/bash --norc --noprofile -c '\(launcher)' osg-launcher)
            else
              mapfile -d '' -t command < command
            fi
            (
              # The job gets default signal dispositions (an ignored SIGTERM or SIGPIPE would be inherited).
              trap - HUP INT QUIT TERM PIPE USR1 USR2
              umask 022
              if [ -n "$cgroup" ]; then
                echo "$BASHPID" > "$cgroup/cgroup.procs" || exit 71
              else
                # Without a uid of its own the lease would share RLIMIT_NPROC's count with the agent.
                ulimit -d $((memory_bytes / 1024)) -c 0 ${job_uid:+-u "$pids_max"} || exit 71
              fi
              exec "${drop_privileges[@]}" "$bwrap" --args \(SandboxArguments.argumentsFD) -- "${command[@]}" \\
                \(SandboxArguments.argumentsFD)<bwrap.args \(SandboxArguments.statusFD)>sandbox.json \(SandboxArguments.passwdFD)<"$shared_dir/passwd" \\
                \(SandboxArguments.groupFD)<"$shared_dir/group" \(SandboxArguments.hostsFD)<"$shared_dir/hosts" \\
                </dev/null >>stdout 2>>stderr \(timerReadFD)<&- \(timerWriteFD)<&- \(controlFD)<&- \(launchWriteFD)>&-
            ) &
            sandbox=$!
            identity "$sandbox" > sandbox.pid
            exec \(launchReadFD)<&- \(startedFD)>&-   # (a warm sandbox's: the launcher holds them)

            if [ "$mode" = warm ]; then
              # Ready. Wait for the lease, or for the end of the control pipe (the slot let go).
              go=
              read -r -u \(controlFD) go max_seconds cpu_cores fields || go=
              if [ "$go" != go ]; then kill -KILL "$sandbox"; wait "$sandbox"; exit 0; fi
              mapfile -d '' -t -u \(controlFD) job
              exec \(controlFD)<&-
              fault=
              if [ "${#job[@]}" != "$fields" ]; then
                fault="fault the job reached its warm sandbox cut short (${#job[@]} of $fields fields)"
              elif [ -n "$cgroup" ] && ! echo "$((cpu_cores * 100000)) 100000" > "$cgroup/cpu.max"; then
                fault="fault could not configure the lease's cgroup $cgroup"
              fi
              oom_kills /proc/vmstat
              host_oom_before=$oom_count
              if [ -z "$fault" ] && ! printf '%s\\0' "${job[@]}" >&\(launchWriteFD); then
                fault="fault the warm sandbox ended before its job came"
              fi
              if [ -n "$fault" ]; then write_status "$fault"; kill -KILL "$sandbox"; wait "$sandbox"; exit 0; fi
              exec \(launchWriteFD)>&-
            fi

            # The hard stop: whichever ends first, the sandbox or the clock. The clock is a timed
            # read, in a subshell, of the pipe the executor handed us (both ends ours: no data, no
            # end of file): no exec of sleep, no file.
            [ -p /dev/fd/\(timerReadFD) ] || exec \(timerReadFD)<> <(:)
            read -r -t "$max_seconds" -u \(timerReadFD) _ &
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
