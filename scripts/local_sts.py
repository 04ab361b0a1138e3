"""A local STS endpoint for trying envgen and timing it: moto's server on a free loopback port.

Prints the endpoint's URL as its first line on stdout once the port is bound,
then serves until it receives SIGTERM / SIGINT (or, with --until-stdin-closes,
until its stdin closes: a parent that dies cannot leave it running). It answers
AssumeRole, GetSessionToken, GetCallerIdentity and the rest of STS the way moto
does: any well-formed keys are accepted, so no AWS account is needed.

    python scripts/local_sts.py [--until-stdin-closes]   # needs moto[server] (test extras)
"""

from __future__ import annotations

import signal
import sys
import threading


def serve(until_stdin_closes: bool) -> int:
    try:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import WSGIRequestHandler, make_server
    except ImportError:
        print(
            "local_sts: moto's server is missing; install it with: pip install 'moto[server]' "
            "(or envgen's test extras: pip install -e '.[test]')",
            file=sys.stderr,
        )
        return 1

    class QuietRequestHandler(WSGIRequestHandler):
        def log_request(self, *args: object) -> None:
            pass

    application = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        "127.0.0.1", 0, application, threaded=True, request_handler=QuietRequestHandler
    )
    stopped = threading.Event()

    def stop(*_: object) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if until_stdin_closes:
        threading.Thread(target=lambda: (sys.stdin.read(), stopped.set()), daemon=True).start()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"http://127.0.0.1:{server.server_port}", flush=True)
    stopped.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(serve(until_stdin_closes="--until-stdin-closes" in sys.argv[1:]))
