"""Make sure Debian's chromium is there for the browser tests; install it with apt when we are root and it is not.

Playwright cannot download its own browser here, so the browser tests drive /usr/bin/chromium.
"""

import os
import shutil
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"


def main() -> int:
    if os.path.exists(CHROMIUM):
        return 0
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print("chromium is not installed and cannot be installed here; browser tests will be skipped.", file=sys.stderr)
        return 0
    print("Installing Debian's chromium for the browser tests (one time)...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    result = subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env)
    if result.returncode != 0:
        print("apt-get install chromium failed; browser tests will be skipped.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
