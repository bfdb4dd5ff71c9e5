"""Local stand-ins for the chat robots' and the SMS gateway's servers — the edge of the world.

Each checks what the real one documents that it checks, written here from the providers'
documentation and not from the console's code (a shared mistake would pass both): the WeCom
robot's key; DingTalk's 加签 (timestamp in ms within an hour, sign = urlencoded base64 of
HMAC-SHA256 keyed with the secret over "timestamp\\nsecret"); Feishu's 签名校验 (timestamp in s
within an hour, sign = base64 of HMAC-SHA256 keyed with "timestamp\\nsecret" over nothing); the
message shapes each accepts. Like the real ones, they answer HTTP 200 with an error code when
they refuse.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def _b64_hmac(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


class ProviderDouble:
    def __init__(self, provider: str, *, secret: str = "", key: str = "robot-key") -> None:
        self.provider, self.secret, self.key = provider, secret, key
        self.requests: list[dict] = []  # what was accepted
        self.refused: list[dict] = []  # what was refused, with the reason
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer, ok = double.check(self.path, dict(self.headers), raw)
                entry = {"path": self.path, "headers": dict(self.headers), "body": raw, "answer": answer}
                (double.requests if ok else double.refused).append(entry)
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = {
            "wecom": f"{base}/cgi-bin/webhook/send?key={key}",
            "dingtalk": f"{base}/robot/send?access_token={key}",
            "feishu": f"{base}/open-apis/bot/v2/hook/{key}",
            "sms": f"{base}/sms/send",
        }[provider]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]

    # --- What each provider checks ------------------------------------------------------------------

    def check(self, path: str, headers: dict, raw: bytes) -> tuple[dict, bool]:
        try:
            body = json.loads(raw)
        except ValueError:
            return self._refuse("not JSON")
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if self.provider == "sms":
            return self._sms(headers, raw, body)
        return getattr(self, f"_{self.provider}")(parts.path, query, headers, body)

    def _refuse(self, why: str, **answer) -> tuple[dict, bool]:
        answer = answer or {"errcode": 40000, "errmsg": why}
        answer.setdefault("why", why)
        return answer, False

    def _wecom(self, path, query, headers, body):
        if path != "/cgi-bin/webhook/send" or query.get("key") != self.key:
            return self._refuse("invalid webhook url", errcode=93000, errmsg="invalid webhook url")
        if body.get("msgtype") == "markdown":
            content = (body.get("markdown") or {}).get("content")
            if not isinstance(content, str) or not content or len(content.encode()) > 4096:
                return self._refuse("markdown.content missing or over 4096 bytes", errcode=40058, errmsg="invalid")
        elif body.get("msgtype") == "text":
            if not (body.get("text") or {}).get("content"):
                return self._refuse("text.content missing", errcode=40058, errmsg="invalid")
        else:
            return self._refuse("unknown msgtype", errcode=40008, errmsg="invalid message type")
        return {"errcode": 0, "errmsg": "ok"}, True

    def _dingtalk(self, path, query, headers, body):
        if path != "/robot/send" or query.get("access_token") != self.key:
            return self._refuse("token is not exist", errcode=300001, errmsg="token is not exist")
        if self.secret:
            stamp = query.get("timestamp", "")
            if not stamp.isdigit() or abs(int(stamp) - time.time() * 1000) > 3600 * 1000:
                return self._refuse("timestamp", errcode=310000, errmsg="sign not match, timestamp")
            expected = _b64_hmac(self.secret.encode(), f"{stamp}\n{self.secret}".encode())
            if query.get("sign") != expected:  # parse_qs has undone the urlencoding
                return self._refuse("sign", errcode=310000, errmsg="sign not match")
        if body.get("msgtype") == "actionCard":
            card = body.get("actionCard") or {}
            single = card.get("singleTitle") and card.get("singleURL")
            if not (card.get("title") and card.get("text") and (single or card.get("btns"))):
                return self._refuse("actionCard fields", errcode=40035, errmsg="缺少参数 actionCard")
        elif body.get("msgtype") not in ("text", "markdown", "link", "feedCard"):
            return self._refuse("msgtype", errcode=40035, errmsg="缺少参数 msgtype")
        return {"errcode": 0, "errmsg": "ok"}, True

    def _feishu(self, path, query, headers, body):
        if path != f"/open-apis/bot/v2/hook/{self.key}":
            return self._refuse("hook", code=19001, msg="param invalid: incoming webhook access token invalid")
        if self.secret:
            stamp = str(body.get("timestamp", ""))
            if not stamp.isdigit() or abs(int(stamp) - time.time()) > 3600:
                return self._refuse("timestamp", code=19021, msg="sign match fail or timestamp is not within one hour")
            expected = _b64_hmac(f"{stamp}\n{self.secret}".encode(), b"")
            if body.get("sign") != expected:
                return self._refuse("sign", code=19021, msg="sign match fail or timestamp is not within one hour")
        kind = body.get("msg_type")
        if kind == "interactive":
            card = body.get("card") or {}
            if not isinstance(card.get("elements"), list) or not card["elements"]:
                return self._refuse("card", code=9499, msg="Bad Request")
        elif kind != "text" or not (body.get("content") or {}).get("text"):
            return self._refuse("msg_type", code=9499, msg="Bad Request")
        return {"code": 0, "msg": "success", "data": {}}, True

    def _sms(self, headers, raw, body):
        """The gateway's contract (README, "SMS"): a timestamp within five minutes, and a hex
        HMAC-SHA256 keyed with the shared key over "timestamp\n" + the raw body."""
        stamp = headers.get("X-Crisis-Timestamp", "")
        if not stamp.isdigit() or abs(int(stamp) - time.time()) > 300:
            return self._refuse("timestamp", code="InvalidTimestamp", message="stale")
        expected = hmac.new(self.secret.encode(), f"{stamp}\n".encode() + raw, hashlib.sha256).hexdigest()
        if headers.get("X-Crisis-Signature") != expected:
            return self._refuse("signature", code="SignatureDoesNotMatch", message="bad signature")
        if not (body.get("phone") and body.get("sign_name") and body.get("template_code")):
            return self._refuse("fields", code="MissingParameter", message="phone, sign_name, template_code")
        return {"code": "OK", "message": "OK", "biz_id": f"sms-{len(self.requests) + 1}"}, True
