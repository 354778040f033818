"""Runs LocalStack for the tests of one test process, and stops it when that process is gone.

argv: <state directory> <the test process's pid>. The environment configures LocalStack. The
test binary holds one LocalStack for all its tests in a static, which is never dropped: this
watchdog notices that the test process has exited (however it ended, SIGKILL included), stops
LocalStack (its whole process group) and removes the state directory. SIGTERM, SIGINT and
SIGHUP to the watchdog do the same.
"""
import os
import shutil
import signal
import subprocess
import sys
import time

state, parent = sys.argv[1], int(sys.argv[2])
with open(os.path.join(state, "localstack.log"), "wb") as log:
    child = subprocess.Popen(
        [sys.executable, "-m", "localstack.runtime.main"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop(*_):
    if child.poll() is None:
        try:
            os.killpg(child.pid, signal.SIGTERM)
            child.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            child.wait()
    shutil.rmtree(state, ignore_errors=True)
    sys.exit(0)


for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(signum, stop)
try:
    # The test process may be gone before this line runs: its pid, not getppid(), says so.
    while child.poll() is None and alive(parent) and os.getppid() == parent:
        time.sleep(0.5)
finally:
    if child.poll() is None:
        stop()
# LocalStack exited on its own: its log stays for the test to show.
sys.exit(child.returncode)
