"""The outside channels: chat group robots (企业微信, 钉钉, 飞书) and an SMS gateway.

Each adapter turns a notification into the HTTP request its receiver documents, and reads the
receiver's answer: these receivers answer HTTP 200 with an error code in the body when they refuse
(a bad signature, a stale timestamp, a malformed card), so a 200 alone is not success.

- WeCom group robot: POST the webhook address (its `key` is the credential) with a markdown
  message whose last line links back to the console; success is `errcode` 0.
- DingTalk custom robot with 加签: `timestamp` (ms) and `sign` in the query, where sign =
  urlencode(base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}"))); an actionCard with one
  button to the console; success is `errcode` 0.
- Feishu / Lark custom bot with 签名校验: `timestamp` (s) and `sign` in the body, where sign =
  base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg="")); an interactive card with a button;
  success is `code` 0 (older bots: `StatusCode` 0).
- SMS gateway (pages only): POST JSON {phone, sign_name, template_code, template_params} to
  CRISIS_SMS_GATEWAY_URL with X-Crisis-Timestamp and X-Crisis-Signature = hex
  HMAC-SHA256(key=CRISIS_SMS_GATEWAY_KEY, msg="{timestamp}\\n{body}"); success is `code` "OK".

No SDK is used: the three providers' SDKs (wechatpy, lark-oapi, dingtalk-stream) serve their app
platforms — access tokens, callbacks, stream connections — and none is needed for a group
robot's one signed POST; the README says more.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from .models import ChatRobot


class Refused(OSError):
    """The receiver answered, and refused (its error code and message are kept as the last error)."""


@dataclass(frozen=True)
class Outgoing:
    url: str
    body: bytes
    headers: dict[str, str]


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def sms_sign(key: str, timestamp_s: int, body: bytes) -> str:
    return hmac.new(key.encode(), f"{timestamp_s}\n".encode() + body, hashlib.sha256).hexdigest()


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _with_query(url: str, **params: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def robot_request(robot: ChatRobot, *, subject: str, body: str, link: str, button: str) -> Outgoing:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if robot.provider == ChatRobot.Provider.WECOM:
        # WeCom markdown: at most 4096 bytes; links as [text](url).
        text = f"**{subject}**\n{body}\n[{button}]({link})"
        return Outgoing(robot.webhook_url, _json({"msgtype": "markdown", "markdown": {"content": text}}), headers)
    if robot.provider == ChatRobot.Provider.DINGTALK:
        payload = {
            "msgtype": "actionCard",
            "actionCard": {
                "title": subject,
                "text": f"### {subject}\n\n{body}",
                "btnOrientation": "0",
                "singleTitle": button,
                "singleURL": link,
            },
        }
        url = robot.webhook_url
        if robot.secret:
            now_ms = int(time.time() * 1000)
            url = _with_query(url, timestamp=str(now_ms), sign=dingtalk_sign(robot.secret, now_ms))
        return Outgoing(url, _json(payload), headers)
    payload = {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {"title": {"tag": "plain_text", "content": subject}, "template": "red"},
            "elements": [
                {"tag": "div", "text": {"tag": "plain_text", "content": body}},
                {
                    "tag": "action",
                    "actions": [
                        {
                            "tag": "button",
                            "text": {"tag": "plain_text", "content": button},
                            "type": "primary",
                            "url": link,
                        }
                    ],
                },
            ],
        },
    }
    if robot.secret:
        now_s = int(time.time())
        payload = {"timestamp": str(now_s), "sign": feishu_sign(robot.secret, now_s), **payload}
    return Outgoing(robot.webhook_url, _json(payload), headers)


def sms_request(*, phone: str, subject: str, link: str) -> Outgoing:
    payload = {
        "phone": phone,
        "sign_name": settings.CRISIS_SMS_SIGN_NAME,
        "template_code": settings.CRISIS_SMS_TEMPLATE,
        "template_params": {"subject": subject[:60], "link": link},
    }
    body = _json(payload)
    now_s = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Crisis-Timestamp": str(now_s),
        "X-Crisis-Signature": sms_sign(settings.CRISIS_SMS_GATEWAY_KEY, now_s, body),
    }
    return Outgoing(settings.CRISIS_SMS_GATEWAY_URL, body, headers)


def post(outgoing: Outgoing, *, success: str) -> None:
    """POST and read the answer; `success` names the receiver's dialect: "wecom", "dingtalk",
    "feishu" or "sms". Raises OSError (Refused) when the receiver refuses or cannot be reached."""
    if not outgoing.url.startswith(("http://", "https://")):
        raise ValueError("outside channels must be http or https")
    request = urllib.request.Request(outgoing.url, data=outgoing.body, method="POST")  # noqa: S310 - scheme checked
    for name, value in outgoing.headers.items():
        request.add_header(name, value)
    with urllib.request.urlopen(request, timeout=settings.CRISIS_WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
        raw = response.read(65536)
        if not 200 <= response.status < 300:
            raise Refused(f"HTTP {response.status}")
    try:
        answer = json.loads(raw or b"{}")
    except ValueError as exc:
        raise Refused(f"not JSON: {raw[:200]!r}") from exc
    if not isinstance(answer, dict):
        raise Refused(f"unexpected answer: {raw[:200]!r}")
    if success == "sms":
        ok, code, message = answer.get("code") == "OK", answer.get("code"), answer.get("message", "")
    elif success == "feishu":
        code = answer.get("code", answer.get("StatusCode"))
        ok, message = code == 0, answer.get("msg", answer.get("StatusMessage", ""))
    else:
        code = answer.get("errcode")
        ok, message = code == 0, answer.get("errmsg", "")
    if not ok:
        raise Refused(f"{success} refused: {code} {message}".strip())
