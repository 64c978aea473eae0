"""`python -m homelab_app web|worker`: the console scripts, for images and tests without them on PATH."""

import sys

from homelab_app.cli import web, worker

if __name__ == "__main__":
    commands = {"web": web, "worker": worker}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit("usage: python -m homelab_app web|worker (configured by APP_* environment variables)")
    commands[sys.argv[1]]()
