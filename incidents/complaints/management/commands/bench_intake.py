"""Benchmark: complaint intake in a burst, with the escalation rules on, while someone watches the board.

    python manage.py bench_intake --complaints 5000 [--concurrency 32] [--workers 2] [--server uvicorn|daphne]

It starts the ASGI server (against this database and Redis, with its own Celery queue and live
channel, so a running console is not disturbed), and fires the complaints at POST /api/complaints/
from that many concurrent keep-alive clients, each with an Idempotency-Key; a few percent are sent
twice, as a retrying client would. The complaints read like real ones: the channel and category mix
of a property developer's hotline, about 200 projects of which a few take most of the complaints,
Chinese text, and a few percent with risk of injury, online spread or a VIP (a media reporter, an
official), so the default escalation rules open incidents and join complaints to them during the
burst. Meanwhile another client, signed in with a session like a commander, loads the board (GET /)
in a loop. Afterwards it checks the database: every complaint stored exactly once, every rule's
(kind of crisis, project) with at most one open incident, and as many incidents as the rules should
have opened. The incidents it opened are stood down at the end (--keep leaves them open).

The projects carry this run's tag, so that one run's waves never count another's complaints.
The server runs with DEBUG off (--debug to keep it on). On a PostgreSQL whose autovacuum is off,
the benchmark runs ANALYZE before and during the burst, as autovacuum would: without statistics
the planner scans every pending alarm to cancel one deadline's.

Two uvicorn workers by default: a worker runs Django's Python under one GIL, so one worker uses
at most one core, and more workers than cores only take turns on them. Measured on 2 cores with
PostgreSQL beside it (pooled connections, 1000 complaints, no board): 19.5 complaints/s with 1
worker, 35.0–36.3 with 2, 33.8 with 3, 38.5 with 4 (2 to 4 within the noise); on SQLite, whose
writers queue on one lock: 17.8, 29.3 and 24.4 with 1, 2 and 3 workers.

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from rest_framework.authtoken.models import Token

from config.processes import Process, asgi_server, child_env, wait_for
from config.redis_runtime import free_port, redis_answers
from incidents import services
from incidents.benchmarks import bench_user, percentile
from incidents.complaints import journal
from incidents.complaints.defaults import DEFAULT_RULES, create_default_rules
from incidents.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintEventKind,
    CustomerWants,
    EscalationRule,
    Trigger,
    VipFlag,
)
from incidents.models import OPEN_STATUSES, Incident, TimelineEntry
from playbooks.defaults import load_default_playbooks

# --- The workload ----------------------------------------------------------------------------------

CHANNELS = {"hotline": 34, "wechat": 20, "online_chat": 12, "12315": 8, "walk_in": 6, "weibo": 5, "email": 5,
            "letter": 2, "comment_book": 2, "other": 6}  # fmt: skip
CATEGORIES = {"repair": 30, "product_quality": 22, "service_attitude": 14, "price_fees": 12,
              "purchase_contract": 10, "parts": 6, "other": 6}  # fmt: skip
# Share of complaints with each flag; VIP flags are independent of each other.
INJURY, ONLINE, MASS, NO_PROJECT = 0.02, 0.03, 0.01, 0.05
VIP = {"media_reporter": 0.015, "government_official": 0.005, "public_figure": 0.003, "large_buyer": 0.02,
       "frequent_complainer": 0.03}  # fmt: skip
# Project i (from 0) gets complaints in proportion to 1/(i+1)^SKEW: a few projects take most of them.
SKEW = 0.7

TEXTS = {
    "repair": [
        "{unit}卫生间漏水已经{n}天，报修{k}次物业都说等师傅，楼下邻居天花板也泡坏了。",
        "{unit}外墙渗水，墙皮大面积发霉脱落，孩子一直咳嗽，要求马上维修。",
        "电梯这个月坏了{k}次，老人上下楼非常困难，维修人员来了看一眼就走。",
        "地下车库排水不畅，下雨就积水，车子泡了{n}天，物业推给开发商。",
    ],
    "product_quality": [
        "交房不到{n}个月，客厅墙体开裂、地板起拱，和样板间完全不一样。",
        "窗户密封不严，刮风就漏风漏雨，验房时提出的问题一个都没整改。",
        "精装修用的瓷砖空鼓{k}处，橱柜门板变形，要求更换并赔偿。",
        "{unit}的实测面积比合同少了{k}平方米，要求开发商给个说法。",
    ],
    "service_attitude": [
        "打客服热线{k}次都没人接，接通后客服态度很差，直接挂断电话。",
        "售楼处置业顾问当初承诺的学位现在不认账，态度恶劣，要求道歉。",
        "物业前台对业主大呼小叫，反映问题还被说是无理取闹。",
    ],
    "price_fees": [
        "物业费从每平米{k}元涨到{n}元，没有公示也没有开业主大会。",
        "车位管理费重复收取，交了两次钱却只开了一张收据。",
        "交房时被要求先交{n}千元装修押金，否则不给钥匙。",
    ],
    "purchase_contract": [
        "合同约定{k}月交房，现在已经延期{n}个月，要求按合同支付违约金。",
        "网签合同里的面积和认购书不一致，销售说是系统问题，至今没有更正。",
        "贷款审批没通过，要求退还定金，开发商一直拖着不退。",
    ],
    "parts": [
        "门锁坏了申请更换配件，等了{n}周还没到货，家里一直不敢离人。",
        "热水器配件说要原厂的，{k}个月了还没有消息。",
    ],
    "other": [
        "小区夜间施工到凌晨{k}点，噪音扰民，投诉多次没人管。",
        "小区门禁系统故障，外来人员随意进出，业主很担心安全。",
        "垃圾清运不及时，楼道里堆了{n}天，气味很大。",
    ],
}
INJURY_TEXTS = [
    "电梯突然下坠{k}层，里面的老人受伤送医。",
    "地下车库电线裸露，小孩差点触电。",
    "外墙瓷砖脱落砸中楼下车辆，险些伤人。",
    "楼道里的消防栓没有水，昨晚{unit}起火时无法使用。",
]
ONLINE_TEXTS = ["业主已经在微博和抖音发帖，阅读量超过{n}万。", "业主群里的视频已经传到网上，有本地公众号在转发。"]
MEDIA_TEXTS = ["投诉人自称{media}记者，要求今天下午前给出书面回应。"]
MEDIA = ["都市晨报", "本地新闻频道", "财经周刊", "民生热线栏目"]
PLACES = ["翠湖", "金桂", "锦绣", "御景", "香榭", "绿洲", "天悦", "云栖", "滨江", "紫荆", "君悦", "星河", "湖畔",
          "枫林", "碧水", "龙湾", "海棠", "玉兰", "书香", "长安", "观澜", "澜庭", "东方", "西溪", "南山"]  # fmt: skip
KINDS_OF_PLACE = ["花园", "华府", "名苑", "雅居", "公馆", "新城", "国际", "御府"]
PHASES = ["", "一期", "二期", "三期", "四期"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
         "超", "秀兰", "霞", "平", "刚", "桂英", "建国", "建华", "志强", "海燕", "红梅"]  # fmt: skip
OTHER_WANTS = ["要求退房并赔偿损失", "尽快修好，给个准确时间", "要求书面道歉", "希望有人上门看一下"]


def check_mix() -> None:
    """The mix names only values the models know (a renamed choice fails here, not as 400s)."""
    for names, choices in ((CHANNELS, ComplaintChannel), (CATEGORIES, ComplaintCategory), (VIP, VipFlag)):
        unknown = set(names) - set(choices.values)
        if unknown:
            raise CommandError(f"The benchmark's mix names unknown {choices.__name__} values: {sorted(unknown)}")


def project_names(count: int, tag: str, rng: random.Random) -> list[str]:
    names = [f"{place}{kind}{phase}" for place in PLACES for kind in KINDS_OF_PLACE for phase in PHASES]
    rng.shuffle(names)
    if count > len(names):
        raise CommandError(f"At most {len(names)} projects.")
    return [f"{name}·{tag}" for name in names[:count]]


def complaint_body(rng: random.Random, projects: list[str], weights: list[float]) -> dict:
    category = rng.choices(list(CATEGORIES), list(CATEGORIES.values()))[0]
    unit = f"{rng.randint(1, 32)}栋{rng.randint(1, 4)}单元{rng.randint(2, 33)}{rng.randint(1, 4):02d}"
    words = {"unit": unit, "n": rng.randint(2, 30), "k": rng.randint(2, 9), "media": rng.choice(MEDIA)}
    text = [rng.choice(TEXTS[category])]
    injury, online, mass = rng.random() < INJURY, rng.random() < ONLINE, rng.random() < MASS
    vip = sorted(flag for flag, share in VIP.items() if rng.random() < share)
    if injury:
        text.append(rng.choice(INJURY_TEXTS))
    if online:
        text.append(rng.choice(ONLINE_TEXTS))
    if "media_reporter" in vip:
        text.append(rng.choice(MEDIA_TEXTS))
    if mass:
        text.append(f"同一栋楼有{rng.randint(20, 80)}户业主联名投诉，准备集体去售楼处。")
    body = {
        "channel": rng.choices(list(CHANNELS), list(CHANNELS.values()))[0],
        "category": category,
        "complexity": "complex" if category in ("product_quality", "purchase_contract") and rng.random() < 0.6 else "",
        "description": "".join(text).format(**words),
        "customer_name": rng.choice(SURNAMES) + rng.choice(GIVEN),
        "customer_phone": f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}",
        "unit": unit,
        "project": "" if rng.random() < NO_PROJECT else rng.choices(projects, weights)[0],
        "wants": rng.choice(CustomerWants.values) if rng.random() < 0.8 else rng.choice(OTHER_WANTS),
    }
    if vip:
        body["vip"] = vip
    for field, on in (("injury_risk", injury), ("online_spread", online), ("mass_complaint", mass)):
        if on:
            body[field] = True
    return {k: v for k, v in body.items() if v != ""}


def expected_incidents(bodies: list[dict], rules: list[EscalationRule]) -> tuple[int, int] | None:
    """How many incidents the rules must open, and may open, whatever order the complaints arrive in.

    The first enabled rule that matches decides. A flag rule (injury, mass, online, VIP) opens one
    incident per (kind of crisis, project), and one per complaint without a project. The repeat
    rule (last, as by default) fires on the complaint that finds `threshold` - 1 others of its
    project and category, unless a flag rule takes that complaint: so it must fire for a bucket with
    more complaints beyond the threshold than flagged ones, and may fire for one with any unflagged.
    None when the rules are not of that shape."""
    repeats = [r for r in rules if r.trigger == Trigger.REPEAT]
    flags = [r for r in rules if r.trigger != Trigger.REPEAT]
    if len(repeats) > 1 or (repeats and any(r.order >= repeats[0].order for r in flags)):
        return None
    keys: set[tuple[str, str]] = set()
    unkeyed = 0
    buckets: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for body in bodies:
        project = body.get("project", "")
        rule = next((r for r in flags if _flag_matches(r, body)), None)
        if rule is not None and project:
            keys.add((rule.crisis_kind, project))
        elif rule is not None:
            unkeyed += 1
        if project:
            buckets[(project, body["category"])].append(rule is not None)
    must, may = set(keys), set(keys)
    for repeat in repeats:
        for (project, _category), flagged in buckets.items():
            n, f = len(flagged), sum(flagged)
            if n >= repeat.threshold and n > f:
                may.add((repeat.crisis_kind, project))
            if n - (repeat.threshold - 1) > f:
                must.add((repeat.crisis_kind, project))
    return len(must) + unkeyed, len(may) + unkeyed


def _flag_matches(rule: EscalationRule, body: dict) -> bool:
    if rule.trigger == Trigger.VIP:
        return bool(set(body.get("vip", [])) & set(rule.vip_flags or []))
    field = {Trigger.INJURY: "injury_risk", Trigger.ONLINE: "online_spread", Trigger.MASS: "mass_complaint"}
    return bool(body.get(field.get(rule.trigger, ""), False))


# --- Measuring -------------------------------------------------------------------------------------


def cpu_busy() -> tuple[float, float] | None:
    """(busy, total) jiffies of the whole machine, from /proc/stat (None elsewhere than Linux)."""
    try:
        fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def postgres_cpu_seconds() -> float:
    """CPU seconds used so far by a PostgreSQL on this machine: its processes, and the backends its
    postmaster has reaped (0.0 when the database runs elsewhere)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, rest = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        if head.endswith("(postgres"):
            fields = rest.split()  # utime, stime, cutime, cstime are fields 14-17 of stat
            total += sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def group_cpu_seconds(pgid: int) -> float:
    """CPU seconds used so far by the live processes of a process group (the server and its workers)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # after ")": state, ppid, pgrp, …, utime (12), stime (13)
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class Burst:
    """Concurrent keep-alive clients posting complaints; results are kept per thread, merged after."""

    def __init__(self, port: int, token: str, items: list[tuple[str, bytes]], retries: int) -> None:
        self.port, self.items, self.retries = port, items, retries
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json",
                        "Accept": "application/json", "Accept-Language": "zh-CN,zh;q=0.9"}  # fmt: skip
        self.next = itertools.count()  # next() on it is atomic under the GIL
        # (item index, status or error name, seconds, finished at, replayed)
        self.results: list[list[tuple[int, int | str, float, float, bool]]] = []

    def client(self) -> None:
        mine: list[tuple[int, int | str, float, float, bool]] = []
        self.results.append(mine)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        while (index := next(self.next)) < len(self.items):
            key, body = self.items[index]
            for attempt in range(self.retries + 1):
                if attempt:
                    time.sleep(0.25 * attempt)  # back off a little, as a careful client does
                began = time.perf_counter()
                replayed = False
                try:
                    conn.request(
                        "POST", "/api/complaints/", body=body, headers={**self.headers, "Idempotency-Key": key}
                    )
                    response = conn.getresponse()
                    response.read()
                    status: int | str = response.status
                    replayed = response.getheader("Idempotent-Replayed") == "true"
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()  # reconnects on the next request
                    status = type(exc).__name__
                ended = time.perf_counter()
                mine.append((index, status, ended - began, ended, replayed))
                # Retry what a careful client retries, with the same key: a dropped connection or a 5xx.
                if isinstance(status, int) and status < 500:
                    break
        conn.close()


class Board:
    """One signed-in user reloading the board, as a commander's screen would during the burst."""

    def __init__(self, port: int, cookie: str, interval: float) -> None:
        self.port, self.cookie, self.interval = port, cookie, interval
        self.samples: list[tuple[int | str, float]] = []
        self.stop = threading.Event()

    def load(self, conn: http.client.HTTPConnection) -> tuple[int | str, float]:
        began = time.perf_counter()
        try:
            conn.request("GET", "/", headers={"Cookie": self.cookie, "Accept-Language": "zh-CN,zh;q=0.9"})
            response = conn.getresponse()
            body = response.read()
            status: int | str = response.status
            if status == 200 and b"<html" not in body[:2000].lower():
                status = "not-html"
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            status = type(exc).__name__
        return status, time.perf_counter() - began

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        while not self.stop.is_set():
            self.samples.append(self.load(conn))
            self.stop.wait(self.interval)
        conn.close()


def db_sampler(stop: threading.Event, found: list[int], analyze_every: float | None) -> None:
    """Samples the number of PostgreSQL connections to this database twice a second, and, where
    autovacuum is off, analyzes the tables now and then as its autoanalyze would."""
    last = time.monotonic()
    try:
        with connection.cursor() as cursor:
            while not stop.is_set():
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
                found.append(cursor.fetchone()[0])
                if analyze_every and time.monotonic() - last > analyze_every:
                    cursor.execute("ANALYZE")
                    last = time.monotonic()
                stop.wait(0.5)
    finally:
        connection.close()


def ms(values: list[float], q: float) -> float:
    return round(percentile(values, q) * 1000, 1)


class Command(BaseCommand):
    help = "Measure complaint intake under a burst (per second, latency, errors) and the board beside it."

    def add_arguments(self, parser):
        parser.add_argument("--complaints", type=int, default=5000)
        parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients posting complaints")
        parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
        parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
        parser.add_argument("--projects", type=int, default=200)
        parser.add_argument("--duplicates", type=float, default=0.02, help="share of complaints sent twice")
        parser.add_argument("--retries", type=int, default=2, help="retries (same key) after a 5xx or a dropped line")
        parser.add_argument(
            "--board-interval", type=float, default=0.1, help="seconds between board loads (negative: no board)"
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--debug", action="store_true", help="run the server with DJANGO_DEBUG=1 (default: off)")
        parser.add_argument("--keep", action="store_true", help="leave the incidents the burst opened open")

    def handle(self, *args, **opts):
        from django.conf import settings

        if not redis_answers(settings.REDIS_URL):
            raise CommandError(f"No Redis at {settings.REDIS_URL}.")
        if opts["server"] == "daphne" and opts["workers"] != 1:
            raise CommandError("daphne runs one process: pass --workers 1.")
        say = self.stderr.write
        run = f"{int(time.time()) % 36**5:05x}{os.getpid() % 256:02x}"
        # Alarms the server arms go to a queue of our own (purged at the end), live events to a
        # channel of our own: a console running on this Redis sees nothing of the benchmark.
        queue, prefix = f"bench-intake-{run}", f"bench-intake-{run}"
        settings.CHANNEL_LAYER_PREFIX = prefix  # the stand-downs at the end announce from here

        check_mix()
        rules = self._rules(say)
        load_default_playbooks()  # as `make run` does: escalated incidents run their kind's playbook
        intake_user = bench_user("bench-intake")  # an API client of another system: logs, handles nothing
        token = Token.objects.get_or_create(user=intake_user)[0].key
        watcher = bench_user("bench-board", "declare_incident", "command_incident")
        cookie = self._session_cookie(watcher)

        rng = random.Random(opts["seed"])  # noqa: S311 - reproducible test data, not secrets
        projects = project_names(opts["projects"], run, rng)
        weights = [1 / (i + 1) ** SKEW for i in range(len(projects))]
        bodies = [complaint_body(rng, projects, weights) for _ in range(opts["complaints"])]
        keys = [f"bench-intake-{run}-{n}" for n in range(len(bodies))]
        payloads = [json.dumps(b, ensure_ascii=False).encode() for b in bodies]
        items: list[tuple[str, bytes]] = []
        for key, payload in zip(keys, payloads, strict=True):
            items.append((key, payload))
            if rng.random() < opts["duplicates"]:
                items.append((key, payload))  # the retry follows at once: it races the original

        vendor = connection.vendor
        analyze = vendor == "postgresql" and self._autovacuum_off()
        if analyze:
            # Without statistics the planner takes the tables for empty and, e.g., cancels a
            # deadline's alarms by scanning every pending alarm (measured: 5 ms a query at 14k
            # alarms, growing with the table). Production runs autovacuum; stand in for it.
            say("autovacuum is off on this PostgreSQL: running ANALYZE now and every 15s during the burst")
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        server, port = self._start_server(opts, queue, prefix)
        pg_connections: list[int] = []
        try:
            self._warm_up(port, token, cookie, opts)
            board = Board(port, cookie, opts["board_interval"])
            idle_conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            idle = [board.load(idle_conn) for _ in range(20)]
            idle_conn.close()
            burst = Burst(port, token, items, opts["retries"])
            say(
                f"posting {len(bodies)} complaints ({len(items) - len(bodies)} sent twice) from "
                f"{opts['concurrency']} clients to {opts['server']} x{opts['workers']} on {vendor}; "
                + (
                    f"the board reloads every {opts['board_interval']}s …"
                    if opts["board_interval"] >= 0
                    else "no board"
                )
            )
            load_before = round(os.getloadavg()[0], 2)  # other work on the machine skews every figure
            stop_sampling = threading.Event()
            threads = [threading.Thread(target=burst.client, daemon=True) for _ in range(opts["concurrency"])]
            board_thread = threading.Thread(target=board.run, daemon=True)
            sampler = threading.Thread(
                target=db_sampler, args=(stop_sampling, pg_connections, 15.0 if analyze else None), daemon=True
            )
            cpu_before, own_cpu_before = cpu_busy(), time.process_time()
            server_cpu_before, db_cpu_before = group_cpu_seconds(server.proc.pid), postgres_cpu_seconds()
            if opts["board_interval"] >= 0:
                board_thread.start()
            if vendor == "postgresql":
                sampler.start()
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - began
            cpu_after, server_cpu = cpu_busy(), group_cpu_seconds(server.proc.pid) - server_cpu_before
            db_cpu = postgres_cpu_seconds() - db_cpu_before
            own_cpu = time.process_time() - own_cpu_before
            board.stop.set()
            stop_sampling.set()
            if board_thread.is_alive():
                board_thread.join()
            if sampler.is_alive():
                sampler.join()
        finally:
            server_log = server.log()
            server.stop()
            self._purge(queue, say)

        results = [r for per_thread in burst.results for r in per_thread]
        statuses = Counter(str(status) for _, status, *_ in results)
        errors = {s: n for s, n in statuses.items() if s not in ("200", "201")}
        intake_ms = [took for _, status, took, _, _ in results if status in (200, 201)]
        done = {items[i][0] for i, status, *_ in results if status in (200, 201)}
        board_ok = [took for status, took in board.samples if status == 200]
        board_errors = Counter(str(status) for status, _ in board.samples if status != 200)
        finished = sorted(at - began for _, status, _, at, _ in results if status == 201)
        middle = (
            (0.8 * len(finished)) / (finished[int(0.9 * len(finished)) - 1] - finished[int(0.1 * len(finished))])
            if len(finished) >= 100
            else 0.0
        )
        check, incident_ids = self._verify(intake_user, run, keys, bodies, projects, rules)
        cpu = other_cpu = None
        if cpu_before and cpu_after and cpu_after[1] > cpu_before[1]:
            cpu = round(100 * (cpu_after[0] - cpu_before[0]) / (cpu_after[1] - cpu_before[1]), 1)
            # Whatever else ran on the machine meanwhile (other tests, builds): it slows every figure.
            busy_s = (cpu_after[0] - cpu_before[0]) / os.sysconf("SC_CLK_TCK")
            other_cpu = round(busy_s - server_cpu - own_cpu - (db_cpu if vendor == "postgresql" else 0.0), 1)
        result = {
            "complaints": len(bodies),
            "requests": len(results),
            "sent_twice": len(items) - len(bodies),
            "concurrency": opts["concurrency"],
            "server": opts["server"],
            "workers": opts["workers"],
            "debug": bool(opts["debug"]),
            "database": vendor,
            "elapsed_s": round(elapsed, 2),
            "per_s": round(len(done) / elapsed, 1),
            "per_s_middle": round(middle, 1),
            "p50_ms": ms(intake_ms, 50),
            "p95_ms": ms(intake_ms, 95),
            "p99_ms": ms(intake_ms, 99),
            "max_ms": round(max(intake_ms, default=0.0) * 1000, 1),
            "errors": sum(errors.values()),
            "errors_by_status": errors,
            "replayed": sum(1 for *_, replayed in results if replayed),
            "board_loads": len(board.samples),
            "board_p50_ms": ms(board_ok, 50),
            "board_p95_ms": ms(board_ok, 95),
            "board_p99_ms": ms(board_ok, 99),
            "board_errors": dict(board_errors),
            "board_idle_p50_ms": ms([t for s, t in idle if s == 200], 50),
            "board_idle_p95_ms": ms([t for s, t in idle if s == 200], 95),
            "cpu_busy_pct": cpu,
            "other_cpu_s": other_cpu,
            "load_before": load_before,
            "server_cpu_s": round(server_cpu, 1),
            # The server's CPU over the burst (board loads included) per complaint taken in.
            "server_cpu_ms_per_complaint": round(1000 * server_cpu / max(len(done), 1), 1),
            "db_cpu_s": round(db_cpu, 1) if vendor == "postgresql" else None,
            "client_cpu_s": round(own_cpu, 1),
            "db_connections_max": max(pg_connections, default=None),
            "analyzed_by_bench": analyze,
            **check,
        }
        if not opts["keep"]:
            self._stand_down(incident_ids, watcher, say)
        if errors or board_errors:
            say("the server's last lines:\n" + "\n".join(server_log.splitlines()[-30:]))
        self._report(result)
        self.stdout.write(json.dumps(result, ensure_ascii=False))
        if not result["verified"]:
            sys.exit(1)

    # --- Setting up --------------------------------------------------------------------------------

    @staticmethod
    def _rules(say) -> list[EscalationRule]:
        """The default rules (as the data migration creates them) if the table is empty, all enabled."""
        if create_default_rules(EscalationRule):
            say("no escalation rules: created the defaults")
        disabled = EscalationRule.objects.filter(enabled=False, trigger__in=[d[1] for d in DEFAULT_RULES])
        if disabled.exists():
            say(f"enabling {disabled.count()} disabled escalation rule(s)")
            disabled.update(enabled=True)
        return list(EscalationRule.objects.filter(enabled=True).order_by("order", "pk"))

    @staticmethod
    def _autovacuum_off() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            return cursor.fetchone()[0] == "off"

    @staticmethod
    def _session_cookie(user) -> str:
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user)  # a real session row, as signing in on the login page makes
        return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    @staticmethod
    def _start_server(opts, queue: str, prefix: str) -> tuple[Process, int]:
        from django.conf import settings

        port = free_port()
        overrides = {"CELERY_QUEUE": queue, "CHANNEL_LAYER_PREFIX": prefix}
        if not opts["debug"]:
            # As in production: DEBUG off (no query log, no autorefresh of static files). The same
            # secret key as here, so that the session made here signs in there. Plain HTTP.
            overrides.update(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=settings.SECRET_KEY,
                             DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost", DJANGO_SECURE_SSL_REDIRECT="0",
                             DJANGO_SECURE_COOKIES="0", DJANGO_HSTS_SECONDS="0")  # fmt: skip
        env = child_env(os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"), **overrides)
        if opts["server"] == "daphne":
            args = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
            server = Process("daphne", args, env, ready_marker="Listening on TCP address")
        else:
            server = asgi_server(env, port, "bench-intake", workers=opts["workers"])
        server.start()
        if opts["server"] == "uvicorn" and opts["workers"] > 1:
            started = wait_for(lambda: server.log().count("Application startup complete") >= opts["workers"], 60)
            if not started:
                server.stop()
                raise CommandError("uvicorn's workers did not start:\n" + server.log())
        return server, port

    @staticmethod
    def _warm_up(port: int, token: str, cookie: str, opts) -> None:
        """Every worker imports the API and renders the board once before the clock starts."""

        def hit() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for _ in range(4):
                for path, headers in (
                    ("/api/complaints/?page_size=1", {"Authorization": f"Token {token}"}),
                    ("/", {"Cookie": cookie}),
                ):
                    conn.request("GET", path, headers=headers)
                    conn.getresponse().read()
            conn.close()

        threads = [threading.Thread(target=hit) for _ in range(4 * max(opts["workers"], 1))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    @staticmethod
    def _purge(queue: str, say) -> None:
        """Drop the alarm messages the server armed on the benchmark's own queue (no worker ran)."""
        from config.celery import app

        try:
            with app.connection_for_write() as conn:
                dropped = conn.default_channel.queue_purge(queue)
        except Exception as exc:
            say(f"could not purge the queue {queue}: {exc!r}")
        else:
            if dropped:
                say(f"dropped {dropped} alarm message(s) from the queue {queue}")

    # --- Checking ----------------------------------------------------------------------------------

    @staticmethod
    def _verify(
        user, run: str, keys: list[str], bodies: list[dict], projects: list[str], rules: list[EscalationRule]
    ) -> tuple[dict, list[int]]:
        mine = Complaint.objects.filter(logged_by=user, idempotency_key__startswith=f"bench-intake-{run}-")
        stored = mine.count()
        # What the rules should have done with the complaints that got in (lost ones are counted apart).
        kept = set(mine.values_list("idempotency_key", flat=True))
        expected = expected_incidents([b for k, b in zip(keys, bodies, strict=True) if k in kept], rules)
        distinct = mine.values("idempotency_key").distinct().count()
        unexpected = mine.exclude(idempotency_key__in=keys).count()
        received = ComplaintEvent.objects.filter(complaint__in=mine, kind=ComplaintEventKind.RECEIVED).count()
        linked = mine.filter(incident__isnull=False).count()
        opened = ComplaintEvent.objects.filter(
            complaint__in=mine, kind=ComplaintEventKind.INCIDENT, data__opened=True
        ).count()
        incident_ids = sorted(set(mine.exclude(incident=None).values_list("incident_id", flat=True)))
        by_kind = dict(
            Incident.objects.filter(pk__in=incident_ids).values_list("kind").annotate(n=Count("pk")).order_by("kind")
        )
        # Each complaint that opened or joined an incident is on its timeline: in an entry of its
        # own, or among the earlier complaints of a wave that the threshold's entry brings in.
        on_timeline: set[int] = set()
        for data in TimelineEntry.objects.filter(
            incident_id__in=incident_ids, kind=journal.ENTRY_KIND, data__complaint__isnull=False
        ).values_list("data", flat=True):
            on_timeline.add(data["complaint"])
            on_timeline.update(data.get("wave_complaints", []))
        # One open incident per (kind of crisis, project): the latch's promise under concurrency.
        doubled = list(
            Incident.objects.filter(location__in=projects, status__in=OPEN_STATUSES)
            .values_list("kind", "location")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        problems = []
        if distinct != len(keys) or stored != len(keys):
            problems.append(f"{len(keys)} complaints sent, {stored} stored under {distinct} keys")
        if unexpected:
            problems.append(f"{unexpected} complaints under keys never sent")
        if received != stored:
            problems.append(f"{received} 'received' log entries for {stored} complaints")
        if on_timeline != set(mine.exclude(incident=None).values_list("pk", flat=True)):
            problems.append(f"{linked} complaints linked to incidents, {len(on_timeline)} on their timelines")
        if opened != len(incident_ids):
            problems.append(f"{opened} incidents opened, {len(incident_ids)} linked")
        if expected is not None and not expected[0] <= opened <= expected[1]:
            problems.append(f"{opened} incidents opened; the rules should open {expected[0]}–{expected[1]}")
        if doubled:
            problems.append(f"more than one open incident for {doubled[:5]}")
        return {
            "stored": stored,
            "lost": max(len(keys) - distinct, 0),
            "duplicated": stored - distinct,
            "incidents_opened": opened,
            "incidents_expected": list(expected) if expected else None,
            "incidents_by_kind": by_kind,
            "complaints_linked": linked,
            "double_open": len(doubled),
            "verified": not problems,
            "problems": problems,
        }, incident_ids

    @staticmethod
    def _stand_down(incident_ids: list[int], user, say) -> None:
        say(f"standing down the {len(incident_ids)} incidents the burst opened …")
        failed = 0
        for pk in incident_ids:
            try:
                services.transition_incident(pk, by=user, name="stand_down", note="benchmark over")
            except Exception as exc:  # left open; the next run's projects are new ones anyway
                failed += 1
                if failed <= 3:
                    say(f"could not stand down incident {pk}: {exc!r}")

    def _report(self, r: dict) -> None:
        out = self.stdout.write
        out(
            f"intake: {r['complaints']} complaints ({r['requests']} requests, {r['replayed']} answered as replays) "
            f"in {r['elapsed_s']}s from {r['concurrency']} clients → {r['per_s']}/s "
            f"(middle 80%: {r['per_s_middle']}/s) on {r['server']} x{r['workers']}, {r['database']}"
        )
        out(f"intake latency: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms")
        out(f"errors: {r['errors']} {r['errors_by_status'] or ''}".rstrip())
        out(
            f"board under load: {r['board_loads']} loads, p50 {r['board_p50_ms']} ms, p95 {r['board_p95_ms']} ms, "
            f"p99 {r['board_p99_ms']} ms (idle: p50 {r['board_idle_p50_ms']} ms, p95 {r['board_idle_p95_ms']} ms)"
            + (f"; errors {r['board_errors']}" if r["board_errors"] else "")
        )
        out(
            f"escalation: {r['incidents_opened']} incidents opened "
            + (
                f"(the rules must open {r['incidents_expected'][0]}, may open {r['incidents_expected'][1]}) "
                if r["incidents_expected"]
                else ""
            )
            + f"{r['incidents_by_kind']}; {r['complaints_linked']} complaints linked"
        )
        out(
            f"machine CPU busy {r['cpu_busy_pct']}% (load average before: {r['load_before']}); "
            f"server {r['server_cpu_s']} CPU-s ({r['server_cpu_ms_per_complaint']} ms a complaint), "
            + (f"PostgreSQL {r['db_cpu_s']} CPU-s, " if r["db_cpu_s"] is not None else "")
            + f"this client {r['client_cpu_s']} CPU-s, everything else {r['other_cpu_s']} CPU-s"
            + (f"; up to {r['db_connections_max']} database connections" if r["db_connections_max"] else "")
        )
        out(
            f"check: {r['stored']} stored, lost {r['lost']}, duplicated {r['duplicated']}, "
            f"more than one open incident for {r['double_open']} (kind, project): "
            + ("OK" if r["verified"] else "FAILED: " + "; ".join(r["problems"]))
        )
