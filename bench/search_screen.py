"""Could relevance on PostgreSQL screen its candidates by an upper bound of ``ts_rank`` and read fewer tsvectors?
(prints figures; not a test; issue #20, point 3).

By relevance reads the tsvector (21 kB, out of line) of each of the newest 2,000 matches: 13–16 µs of the server's
CPU apiece, most of a frequent term's time. ``ts_rank`` (normalization 0) depends only on how many times each
query pair sits in the title (weight A) and the body (D) and how close they are, so an upper bound computed from
counts would let only the candidates that can reach the page be ranked exactly. This bench measures what that
needs, on the newest 2,000 candidates of frequent terms of an archive built by ``bench/search.py``, in the
server's CPU time (``/proc/PID/schedstat`` of the backend, which load barely moves):

- where the counts could come from: (a) counted in the server from ``articles`` (``replace``), (b) the texts
  fetched and counted in Python (the client's CPU too), against reading the tsvectors as today;
- the phrase check a 3+-character term needs whatever the counts (which candidates hold the phrase, hence which
  are "the newest 2,000"): by the tsvector (``@@``) or by the text (``strpos``), against check-and-rank;
- how many candidates a bound from exact counts would leave to rank exactly for the first page and three pages
  (the bound: ``calc_rank_or`` of one pair is a function of the counts; ``calc_rank_and`` is at most
  1 − Π(1 − sqrt(w·w'·word_distance(d))) over each place of one pair and the nearest places of another, the
  j-th nearest at distance ≥ ceil(j/2), title places nearest).

    .venv/bin/python bench/search_screen.py --pg postgresql+psycopg://…/szwatch_bench_20i [--rounds 8]
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from collections import Counter

import search_storage  # bench/search_storage.py: the server's CPU per statement
from record import recorded  # bench/record.py: the dated record of this run

from szwatch.store.search.index import ID_MASK, runs, title_of

TERMS = ["发展", "项目", "企业", "朔州市", "平鲁区", "新能源", "高质量发展", "固定资产投", "煤基烯烃一"]
RANKED = 2000
WEIGHT_A, WEIGHT_D = 1.0, 0.1


class Server(search_storage.Server):
    """``search_storage.Server`` that also gives the client's CPU (counting in Python costs there)."""

    def cost(self, statement: str, params: dict, rounds: int) -> tuple[float, float]:  # type: ignore[override]
        """Median server CPU and client CPU (ms) of a statement fetched in full, run once first."""
        server, client = [], []
        for _ in range(rounds + 1):
            before, used = self.cpu_ms(), time.process_time()
            self.conn.execute(statement, params).fetchall()
            server.append(self.cpu_ms() - before)
            client.append((time.process_time() - used) * 1000)
        return statistics.median(server[1:]), statistics.median(client[1:])


def pairs_of(term: str) -> list[str]:
    return list(dict.fromkeys(a + b for a, b in itertools.pairwise(term)))


def pairs_of_runs(text: str) -> list[str]:
    """Every pair of the text as the index has it (inside runs of letters and digits)."""
    return [a + b for run in runs(text) for a, b in itertools.pairwise(run)]


def tsquery(term: str, joint: str) -> str:
    return joint.join(f"'{a}{b}'" for a, b in itertools.pairwise(term))


def word_distance(d: int) -> float:
    return 1e-30 if d > 100 else 1.0 / (1.005 + 0.05 * math.exp(d / 1.5 - 2))


def near(w: float, titled: int, body: int) -> float:
    """−log Π(1 − curw) at most, for one place of weight ``w`` against ``titled`` + ``body`` places of another
    pair: the j-th nearest is at distance ≥ ceil(j/2) (two sides), the heaviest nearest (rearrangement)."""
    total = 0.0
    for j in range(1, titled + body + 1):
        other = WEIGHT_A if j <= titled else WEIGHT_D
        total += -math.log(1 - math.sqrt(w * other * word_distance((j + 1) // 2)))
    return total


def bound(counts: list[tuple[int, int]]) -> float:
    """Upper bound of ``ts_rank`` from (title, body) counts of each distinct pair of the query."""
    if len(counts) == 1:  # calc_rank_or of one lexeme: title places first, then body ones (exact)
        titled, body = counts[0]
        titled = min(titled, 255)
        body = min(body, 255 - titled)
        weights = [WEIGHT_A] * titled + [WEIGHT_D] * body
        return sum(w / (j + 1) ** 2 for j, w in enumerate(weights)) / 1.64493406685 + 1e-6  # PG adds in float
    exponent = 0.0
    for i, (ta, ba) in enumerate(counts):
        for tb, bb in counts[:i]:
            one = ta * near(WEIGHT_A, tb, bb) + ba * near(WEIGHT_D, tb, bb)
            other = tb * near(WEIGHT_A, ta, ba) + bb * near(WEIGHT_D, ta, ba)
            exponent += min(one, other)
    return 1 - math.exp(-exponent) + 1e-6


def candidates(server: Server, term: str) -> list[int]:
    loose = tsquery(term, " & ")
    return [r[0] for r in server.conn.execute("SELECT key FROM search_docs WHERE grams @@ CAST(%s AS tsquery)"
                                              " ORDER BY key DESC LIMIT %s", (loose, RANKED))]  # fmt: skip


def sources(server: Server, rounds: int) -> None:
    print(f"server CPU (ms, median of {rounds}) of one statement over the newest {RANKED:,} candidates;"
          " (b): the client's CPU and the texts' size in brackets")  # fmt: skip
    for term in TERMS:
        keys = candidates(server, term)
        ids = [ID_MASK - (k & ID_MASK) for k in keys]
        pairs = pairs_of(term)
        title = "concat_ws(e'\\n', a.kicker, a.title, a.subtitle)"
        counts = ", ".join(f"(length({col}) - length(replace({col}, '{p}', ''))) / 2"
                           for p in pairs for col in ("a.text", title))  # fmt: skip
        rows = "FROM articles a WHERE a.id = ANY(%(ids)s)"
        docs = "FROM search_docs d WHERE d.key = ANY(%(keys)s)"
        phrase = tsquery(term, " <-> ")
        statements = {
            "titles (inline)": f"SELECT a.id, a.kicker, a.title, a.subtitle {rows}",
            "octet_length(text)": f"SELECT a.id, octet_length(a.text) {rows}",
            "length(text)": f"SELECT a.id, length(a.text) {rows}",
            "(a) counts in SQL": f"SELECT a.id, {counts} {rows}",
            "(b) texts to Python": f"SELECT a.id, a.kicker, a.title, a.subtitle, a.text {rows}",
            "read tsvector": f"SELECT sum(length(d.grams)) {docs}",
            "check by text": f"SELECT count(*) {rows} AND (strpos(a.text, %(t)s) > 0 OR strpos({title}, %(t)s) > 0)",
            "check by tsvector": f"SELECT count(*) {docs} AND d.grams @@ CAST(%(q)s AS tsquery)",
            "check and rank (query.py)": "SELECT s.key, s.rank FROM (SELECT t.key, (t.r).grams @@ CAST(%(q)s AS"
            " tsquery) AS hit, ts_rank((t.r).grams, CAST(%(q)s AS tsquery)) AS rank FROM (SELECT d.key, d AS r"
            f" {docs} OFFSET 0) t OFFSET 0) s WHERE s.hit",
        }
        params = {"ids": ids, "keys": keys, "q": phrase, "t": term}
        figures = []
        for name, statement in statements.items():
            spent, client = server.cost(statement, params, rounds)
            if name.startswith("(b)"):
                started, size = time.process_time(), 0
                for row in server.conn.execute(statement, params):
                    lower = (title_of(row[1], row[2], row[3]) + "\n" + row[4]).lower()
                    sum(lower.count(p) for p in pairs)
                    size += len(row[4].encode())
                client = (time.process_time() - started) * 1000
                figures.append(f"{name} {spent:5.1f} [{client:4.1f}, {size / 1e6:.1f} MB]")
            else:
                figures.append(f"{name} {spent:5.1f}")
        print(f"{term:<8} " + "  ".join(figures))


def screening(server: Server) -> None:
    """With exact counts from the texts, how many of the ranked matches a bound would still leave to rank."""
    print(f"\nscreening by an upper bound of ts_rank from exact counts, over the newest {RANKED:,} matches")
    print(f"{'query':<8} {'matches':>8} {'titled':>7} {'page 1: rank exactly':>21} {'pages 1-3':>10}"
          "   (c) pairs in the title or 3+ times in the body, per article")  # fmt: skip
    for term in TERMS:
        q = tsquery(term, " <-> ")
        found = server.conn.execute("SELECT key, ts_rank(grams, CAST(%(q)s AS tsquery)) FROM search_docs"
                                    " WHERE grams @@ CAST(%(q)s AS tsquery) ORDER BY key DESC LIMIT %(n)s",
                                    {"q": q, "n": RANKED}).fetchall()  # fmt: skip
        ids = [ID_MASK - (k & ID_MASK) for k, _ in found]
        texts = {r[0]: r[1:] for r in server.conn.execute("SELECT id, kicker, title, subtitle, text FROM articles"
                                                          " WHERE id = ANY(%s)", (ids,))}  # fmt: skip
        pairs = pairs_of(term)
        bounds, titled, summary = [], 0, []
        for (_, rank), article_id in zip(found, ids, strict=True):
            kicker, title, subtitle, body = texts[article_id]
            head, lower = title_of(kicker, title, subtitle).lower(), body.lower()
            counts = [(head.count(p), lower.count(p)) for p in pairs]
            titled += term in head
            summary.append(
                len(set(pairs_of_runs(head)) | {p for p, n in Counter(pairs_of_runs(lower)).items() if n >= 3})
            )
            bounds.append(bound(counts))
            assert bounds[-1] >= rank, (term, article_id, counts, rank, bounds[-1])
        ranks = sorted((r for _, r in found), reverse=True)
        left = [sum(b >= ranks[min(n, len(ranks)) - 1] for b in bounds) for n in (20, 60)]
        size = statistics.mean(summary)
        print(f"{term:<8} {len(found):>8,} {titled:>7,} {left[0]:>21,} {left[1]:>10,}   {size:5.0f}"
              f" (~{size * 10 / 1024:.1f} kB as a tsvector without places)")  # fmt: skip


def main() -> None:
    args = search_storage.arguments(__doc__.splitlines()[0])
    server = Server(args.pg)
    print(server.conn.execute("SELECT version()").fetchall()[0][0])
    screening(server)
    sources(server, args.rounds)


if __name__ == "__main__":
    with recorded("search-screen"):
        main()
