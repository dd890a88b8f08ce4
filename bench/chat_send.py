"""CPU per chat send, in one process, without the fan-out: the server's own cost of a message.

    .venv/bin/python bench/chat_send.py                 # SQLite, 200-member room
    .venv/bin/python bench/chat_send.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench

``bench/chat.py`` measures what members see (fan-out latency, deliveries/s), but on a
shared two-core machine its figures move by tens of percent from one run to the next,
so a change of a few milliseconds per send is lost in it. This measures that cost
alone: one signed-in Socket.IO test client sends into a room of ``--members`` members
(the page cache on, as in production, so each send also reads the room's members), and
the process's CPU time is divided by the sends. No other client is connected, so no
delivery is counted; the send handler, the group-commit write and its COMMIT are. Each
round is ``--sends`` sends after a warm-up; the figure is the median round. PostgreSQL:
the database at ``--database-url`` must exist and is emptied (tables dropped) first.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
NS = "/chat"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--sends", type=int, default=300, help="sends per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    args = parser.parse_args()

    from chat import guildhall_config, guildhall_data  # bench/chat.py: the same room

    from app import create_app
    from app.extensions import db, socketio

    with tempfile.TemporaryDirectory() as tmp:
        config = guildhall_config(Path(tmp), None) | {"PAGE_CACHE_SECONDS": 60}
        if args.database_url:
            config["SQLALCHEMY_DATABASE_URI"] = args.database_url
        app = create_app("development", instance_path=str(Path(tmp) / "instance"), **config)
        with app.app_context():
            db.drop_all()  # an earlier run's members would collide
        room_id, cookies = guildhall_data(Path(tmp), config, args.members - 1)
        cookie = cookies[0].split("=", 1)[1]
        http = app.test_client()
        http.set_cookie("session", cookie)
        client = socketio.test_client(app, namespace=NS, flask_test_client=http)
        sent = 0

        def send() -> None:
            nonlocal sent
            sent += 1
            payload = {"channel_id": room_id, "body": f"message {sent}", "client_id": f"s{sent}"}
            answer = client.emit("send", payload, namespace=NS, callback=True)
            if not (isinstance(answer, dict) and answer.get("ok")):
                raise SystemExit(f"send refused: {answer}")

        for _ in range(50):
            send()
        rounds = []
        for _ in range(args.rounds):
            client.get_received(NS)
            started = time.process_time()
            for _ in range(args.sends):
                send()
            rounds.append((time.process_time() - started) / args.sends * 1000)
        client.disconnect(NS)
    print(
        f"{app.config['SQLALCHEMY_DATABASE_URI'].split(':', 1)[0]}: CPU per send "
        f"{statistics.median(rounds):.2f} ms (rounds {', '.join(f'{r:.2f}' for r in rounds)}), "
        f"{args.members}-member room, {args.sends} sends per round"
    )


if __name__ == "__main__":
    main()
