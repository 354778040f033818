"""Runs LocalStack for the tests of one test process, and stops it when that process is gone.

argv: <state directory>. The environment configures LocalStack. The test binary holds one
LocalStack for all its tests in a static, which is never dropped: this watchdog notices that
its parent (the test process) has exited, stops LocalStack and removes its state directory.
"""
import os
import shutil
import signal
import subprocess
import sys
import time

state = sys.argv[1]
parent = os.getppid()
with open(os.path.join(state, "localstack.log"), "wb") as log:
    child = subprocess.Popen(
        [sys.executable, "-m", "localstack.runtime.main"], stdout=log, stderr=subprocess.STDOUT
    )


def stop(*_):
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    shutil.rmtree(state, ignore_errors=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
while child.poll() is None and os.getppid() == parent:
    time.sleep(0.5)
code = child.returncode
if code is None:
    stop()
sys.exit(code)
