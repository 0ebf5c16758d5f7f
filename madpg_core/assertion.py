"""Assertion status of a span: is the entity there, denied, doubted, posed, past or a relative's?

A rule-based context detector for Chinese clinical text in the style of NegEx (Chapman et al.,
"A simple algorithm for identifying negated findings and diseases in discharge summaries",
J Biomed Inform 34(5), 2001: trigger phrases before or after a finding, pseudo-triggers that look
like triggers but are not, a scope that ends at the sentence) and ConText (Harkema et al., "ConText:
an algorithm for determining negation, experiencer, and temporal status from clinical reports",
J Biomed Inform 42(5), 2009: the same machinery for hypothetical, historical and experiencer, with
termination terms that end a scope early). The Chinese lexicon is this project's own, written from
cEHRNER train records and common EHR phrasing; no published Chinese trigger list was copied.

Contract: ``detect(text, spans)`` gives one ``AssertionStatus`` per span; ``detect_spans`` gives an
``Assertion`` per span that also names the cue that decided it and its offset, so the UI can say
why. Pre-labelling proposes the status, the annotator confirms it. The labelling guideline the
rules follow is written in ``benchmarks/assertion_sample.jsonl``'s header; in short:

* historical = the text puts the entity in the patient's past history by wording (既往, 曾, 以往,
  以前…过, X史/X病史), chronic or not. Dates in the illness narrative do not make a span historical.
* family = a relative, not the patient, has it. A family adjective (家族性) is no relative.
* hypothetical = posed, not asserted: a condition (如果, 若, 一旦, …的话), something to prevent
  or watch for, a planned treatment.
* When several apply, PRIORITY decides: hypothetical > absent > family > possible > historical.
  否认高血压病史 is absent (not historical), 否认家族遗传病史 absent (not family), 父亲高血压病史
  family (not historical), 如果父母均患有X hypothetical.

Scopes: a pre-trigger reaches forward to the end of its clause (the next ，or sentence end), a
post-trigger back to the clause start; condition triggers (如果, 若, 一旦 …) reach the sentence end,
because their consequence follows the comma. A clause made only of spans and list words
(``无头晕、眼花,胸闷、心悸等不适``; ``否认高血压,糖尿病史``) continues the scope across the comma:
EHRs list denied symptoms that way, while a clause with other words (``无咯血,时感心悸``) ends it.
、 never ends a scope (``否认高血压、糖尿病、冠心病史`` denies all three). Every scope is also capped
in characters, which keeps the work linear on long unpunctuated text.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

# AssertionStatus lives in domain (a Span carries one); imported here so callers keep reading it
# from this module.
from madpg_core.domain import AssertionStatus, Span


S = AssertionStatus
# First wins. Absent before family: 否认家族遗传病史 must not read as "a relative has it".
# Hypothetical first: 如无发热 / 如果父母患有X assert nothing either way.
PRIORITY: tuple[AssertionStatus, ...] = (S.HYPOTHETICAL, S.ABSENT, S.FAMILY, S.POSSIBLE, S.HISTORICAL)

Direction = Literal["forward", "backward", "auto", "adjacent", "both", "list"]
Reach = Literal["clause", "sentence"]

# --- the lexicon ------------------------------------------------------------------------------
# (status, direction, reach, phrases). "auto": backward when the phrase ends its clause (肺炎可能。),
# forward otherwise (可能为肺炎). "adjacent": only right after the span (肺癌?). "list": back to
# spans that are items of the list it closes (高血压、糖尿病、冠心病史), not to a span followed by other
# words (新生儿HIE的诊断主要依据病史). "both": list backward (乳腺癌家族史) and forward (家族史:母亲…).
_TRIGGERS: tuple[tuple[AssertionStatus, Direction, Reach, str], ...] = (
    (S.ABSENT, "forward", "clause",
     ("否认 否认有 无 并无 均无 既往无 从无 未 未见 未及 未闻及 未触及 未扪及 未引出 未发现 未诉 未述 "
     "未出现 未再 未有 未患 未曾 从未 没有 没 不伴 不伴有 不合并 排除 不考虑 不发 不做 不用 "
     "不宜 不宜用 不应 不再 不存在 不出现 不想 拒绝 无须 无需")),
    (S.ABSENT, "backward", "clause", "阴性 (-) （-） 被排除 可排除 缺如 不明显"),
    (S.ABSENT, "auto", "clause", "已排除"),
    (S.POSSIBLE, "forward", "clause",
     ("疑 疑似 疑为 怀疑 可疑 考虑 考虑为 多考虑 倾向 倾向于 不能除外 不能排除 未除外 "
     "未排除 难以排除 待排除 需排除 应排除 以排除 排除其他 需除外 待除外 除外 是否 是不是 有无 有否 "
     "或许 也许 似 拟诊 不一定")),
    (S.POSSIBLE, "auto", "clause", "可能 不除外 不排除"),
    (S.POSSIBLE, "backward", "clause",
     "可能性大 可能性较大 可能大 可能性小 之可能 的可能 的可能性 待排 待查 待定 待诊 相鉴别 鉴别"),
    (S.POSSIBLE, "adjacent", "clause", "? ？"),
    (S.HYPOTHETICAL, "forward", "sentence",
     ("如果 若 若是 假如 假若 倘若 如若 万一 一旦 要是 只要 每当 当 如有 如出现 如发生 如无 如仍 如在 "
     "如患 如为 如是 如不")),
    # Not 注意 or 建议: they mostly introduce a test or an instruction (建议复查, 注意事项).
    (S.HYPOTHETICAL, "forward", "clause",
     "预防 防止 以防 以免 避免 谨防 警惕 需警惕 防范 拟行 为行 计划 准备"),
    # Not 时: 咳嗽时胸痛, 活动时气促 describe the patient, and EHRs write that far more often than
    # a textbook's when-clause (呕血时，头偏向一侧).
    (S.HYPOTHETICAL, "backward", "clause", "的话"),
    (S.HISTORICAL, "forward", "clause",
     "既往 既往有 既往史 曾 曾经 曾患 曾有 以往 过去 以前 早年 幼时 年轻时"),
    (S.HISTORICAL, "list", "clause", "史 病史"),
    (S.FAMILY, "forward", "clause",
     ("父亲 母亲 父母 双亲 其父 其母 爸爸 妈妈 哥哥 姐姐 弟弟 妹妹 兄弟 姐妹 同胞 其兄 其姐 "
     "其弟 其妹 儿子 女儿 子女 祖父 祖母 外祖父 外祖母 爷爷 奶奶 外公 外婆 姥姥 姥爷 舅舅 叔叔 伯伯 "
     "姑姑 阿姨 姨妈 家族中 家族成员 家族内 家人 亲属 直系亲属 一级亲属 亲戚 前一胎")),
    (S.FAMILY, "both", "clause", "家族史 家族遗传史"),
)

# Look like triggers, are not. Matched like triggers (longest first) and then do nothing.
_PSEUDO = (
    # 无/未 negating a cause, a change, an ability or a contraindication, not the finding after it
    "无明显诱因 无诱因 无明确诱因 无明显原因 无原因 不明原因 原因不明 无法 无关 无效 无菌 无误 无殊 "
    "无痛胃镜 无痛肠镜 无痛人流 无痛分娩 无力 无明显好转 无好转 无缓解 无明显缓解 无改善 无明显改善 无变化 无明显变化 无异常 "
    "未分化 未成熟 无禁忌 无手术禁忌 无化疗禁忌 无明显手术禁忌 未见明显手术禁忌 未见手术禁忌 无放化疗禁忌 "
    "排除手术禁忌 排除化疗禁忌 排除禁忌 排除化疗前禁忌 未能证实 未控 未愈 不愈 未定 "
    "不能 不适 不良 不全 不规则 不均 不清 不详 不等 不同 不一 不少 不仅 不断 不久 "
    "不完全 不对称 不稳定 不明显好转 没事 若干 "
    # 如 meaning "such as" or "as", not "if"
    "例如 比如 诸如 如下 如何 如常 如同 如今 正如 "
    # 考虑/可能/似/疑 in other words
    "考虑到 不考虑到 尽可能 尽最大可能 可能性 类似 相似 近似 似的 疑问 有疑问 无疑 "
    "是否需要 是否可以 是否能 主要 重要 "
    # 过去/以前 qualifying a belief; 同胞 a donor; "my mum" in Q&A (see _POSSESSIVES)
    "过去认为 以前认为 以往认为 以往多认为 既往认为 同胞相合 我爸 我妈 你爸 你妈 "
    # 以前 after a duration means "ago": a date in the illness narrative, not past history
    "天以前 日以前 周以前 月以前 年以前 "
    # 当 that does not mean "when"
    "当地 当天 当日 当时 当前 当晚 当年 当月 相当 适当 恰当 不当 应当 当然 当归 当作 当做 正当 "
    # 史 and relatives that are something else
    "现病史 个人史 婚育史 月经史 生育史 历史 病史采集 流行病学史 家族性 家族遗传 母乳 父母亲 "
    # 注意/建议/预防 that name no event to come
    "注意事项 二级预防 预防措施 "
    # words holding a termination term (现, 今, 伴, 故) that do not end anything
    "发现 表现 出现 呈现 体现 再现 至今 今年 伴随 事故 缘故 "
    # 除 in verbs (an exception 除…外 is handled apart)
    "切除 摘除 清除 去除 消除 解除 免除 根除 剔除 祛除 删除 排除法"
)

# Terms that end a scope early, per status (ConText's termination terms). "*" applies to all.
_TERMINATIONS: dict[str, str] = {
    "*": "但 但是 然而 不过 可是 却 遂 故 因此 所以 随后",
    # 者 closes a relative clause (未进行透析者的预后…), 提示 starts a new predicate (无汗提示…)
    S.ABSENT.value: "现 现在 目前 今 仍 仍有 伴 伴有 者 提示",
    S.HISTORICAL.value: "现 现在 目前 今 此次 本次 入院",
    S.FAMILY.value: "患者 患儿 本人",
}

# An exception 除(了)X外 inside a negation: 否认除高血压外的慢性病史 does not deny 高血压.
_EXCEPTION_OPEN = ("除", "除了")

SENTENCE_ENDS = frozenset("。；;！!？?\n\r．｡")
# Not the colon: EHRs write 曾行胃镜检查示:慢性胃炎 and 既往史：高血压, and the cue reaches past it.
CLAUSE_ENDS = frozenset("，,")
# In Q&A writing, "my mother" / "your father" is the person the consultation is about, not a
# relative of a patient (我妈颈椎不好…怎么治): a relative word right after these is no family cue.
_POSSESSIVES = ("我", "我的", "你", "你的", "您", "您的")
# A question in Q&A writing ends with ？ without doubting the entity before it (哪里可以医治X？).
_INTERROGATIVE = re.compile(r"什么|哪|怎|如何|多少|多大|多久|吗|呢|能否|可否|有没有|是否|是不是|为何|为什么")
SPACES = frozenset(" \t\u3000叒")  # 叒: the corpora's stand-in for a space
# Words a clause may hold besides spans and still continue a list (无头晕、眼花,胸闷、心悸等不适).
_LIST_SEPARATORS = frozenset("、或及和与/")
_LIST_FILLER = re.compile(r"等不适|等症状|等症|不适|症状|表现|情况|现象|病史|史|等|及|和|与|或|并|以及|[、“”\"'‘’()（）\s叒:：]")
# Characters. ConText scopes to the sentence end; run-on Q&A text has no sentence ends, and NegEx
# (Chapman et al. 2001) stopped after five words. Lists continued across commas may add up to
# MAX_LIST_REACH more; every bound keeps the work linear in the text's length.
MAX_CLAUSE_REACH = 60
MAX_SENTENCE_REACH = 120
MAX_LIST_REACH = 300


@dataclass(frozen=True)
class Cue:
    """One lexicon phrase found in the text: [start, end) and what it does."""

    phrase: str
    start: int
    end: int
    kind: Literal["trigger", "pseudo", "termination", "exception"]
    status: AssertionStatus | None = None
    direction: Direction = "forward"
    reach: Reach = "clause"


@dataclass(frozen=True)
class Assertion:
    """The status of one span, the cue that decided it (None: present by default) and any cues
    that also applied but lost on priority."""

    status: AssertionStatus
    cue: Cue | None = None
    overruled: tuple[Cue, ...] = ()
    side: Literal["before", "after", ""] = ""  # where the deciding cue stands

    def explain(self) -> str:
        """"absent: 否认 at 0 (before the span)" — for a tooltip."""
        if self.cue is None:
            return f"{self.status.value}: no cue"
        text = f"{self.status.value}: {self.cue.phrase} at {self.cue.start} ({self.side} the span)"
        if self.overruled:
            text += "; also " + ", ".join(f"{c.phrase} ({c.status.value})" for c in self.overruled if c.status)
        return text


class ContextDetector:
    """Finds cues once per text, then decides each span from the cues whose scope covers it."""

    def __init__(self) -> None:
        entries: dict[str, tuple[str, AssertionStatus | None, Direction, Reach]] = {}
        for status, direction, reach, phrases in _TRIGGERS:
            for p in phrases.split():
                if p in entries:
                    raise ValueError(f"trigger {p!r} listed twice")
                entries[p] = ("trigger", status, direction, reach)
        for p in _PSEUDO.split():
            entries.setdefault(p, ("pseudo", None, "forward", "clause"))
        self._ends: dict[str, frozenset[AssertionStatus]] = {}
        for key, words in _TERMINATIONS.items():
            which = frozenset(S) if key == "*" else frozenset({S(key)})
            for w in words.split():
                self._ends[w] = self._ends.get(w, frozenset()) | which
                entries.setdefault(w, ("termination", None, "forward", "clause"))
        for p in _EXCEPTION_OPEN:
            entries.setdefault(p, ("exception", None, "forward", "clause"))
        self._entries = entries
        # first character -> phrases, longest first: the scan tries few phrases per position.
        self._by_first: dict[str, list[str]] = {}
        for p in sorted(entries, key=len, reverse=True):
            self._by_first.setdefault(p[0], []).append(p)

    # --- cues ---------------------------------------------------------------------------------
    def cues(self, text: str, spans: Iterable[tuple[int, int]] = ()) -> list[Cue]:
        """Every lexicon phrase in ``text``, longest match first, left to right, not overlapping.

        A phrase never straddles a span's edge: in 不伴【发热】 the cue is 不伴, not 不伴发.
        """
        edges = {x for se in spans for x in se}
        found: list[Cue] = []
        i, n = 0, len(text)
        while i < n:
            for p in self._by_first.get(text[i], ()):
                if text.startswith(p, i) and not any(i + j in edges for j in range(1, len(p))):
                    kind, status, direction, reach = self._entries[p]
                    found.append(Cue(p, i, i + len(p), kind, status, direction, reach))  # type: ignore[arg-type]
                    i += len(p)
                    break
            else:
                i += 1
        return found

    def detect_spans(self, text: str, spans: Sequence[Span] | Sequence[tuple[int, int]]) -> list[Assertion]:
        """One ``Assertion`` per span, in the order given. Spans may overlap (nested corpora)."""
        pairs = [(s.start, s.end) if isinstance(s, Span) else (int(s[0]), int(s[1])) for s in spans]
        if not pairs:
            return []
        ctx = _Context(text, self.cues(text, pairs), pairs, self._ends)
        return [ctx.decide(i) for i in range(len(pairs))]

    def detect(self, text: str, spans: Sequence[Span] | Sequence[tuple[int, int]]) -> list[AssertionStatus]:
        return [a.status for a in self.detect_spans(text, spans)]


class _Context:
    """The per-text state: boundaries, cues with their scopes, and the spans."""

    def __init__(self, text: str, cues: list[Cue], spans: list[tuple[int, int]],
                 ends: dict[str, frozenset[AssertionStatus]]) -> None:
        self.text = text
        self.spans = spans
        self._n = len(text)
        # next_* [i]: the first boundary at or after i; prev_* [i]: just after the last one before i.
        self.next_sentence = _next_boundary(text, _is_sentence_end)
        self.next_clause = _next_boundary(text, lambda t, i: t[i] in CLAUSE_ENDS or _is_sentence_end(t, i))
        self.prev_clause = _prev_boundary(text, lambda t, i: t[i] in CLAUSE_ENDS or _is_sentence_end(t, i))
        by_start = sorted(range(len(spans)), key=lambda k: spans[k])
        self.span_starts = [spans[k][0] for k in by_start]
        self.spans_sorted = [spans[k] for k in by_start]
        self.triggers = [c for c in cues if c.kind == "trigger"]
        self.trigger_starts = [c.start for c in self.triggers]
        self.terms: dict[AssertionStatus, list[int]] = {s: [] for s in S}
        for c in cues:
            if c.kind == "termination":
                for s in ends[c.phrase]:
                    self.terms[s].append(c.start)
        self.exceptions = self._exception_ranges(cues)  # sorted: cues come left to right
        self.exception_starts = [a for a, _ in self.exceptions]
        self.scopes = [self._scope(c) for c in self.triggers]
        # how far back a trigger can stand from a span it covers, in this text (bounds decide())
        self.max_reach = max((f1 - c.start for c, (_, f1, _, _) in zip(self.triggers, self.scopes)
                              if f1 > c.start), default=0)

    # --- scopes -------------------------------------------------------------------------------
    def _scope(self, c: Cue) -> tuple[int, int, int, int]:
        """(forward start, forward end, backward start, backward end); empty ranges where none."""
        fwd = back = (0, 0)
        direction = c.direction
        if direction == "auto":
            j = c.end
            while j < self._n and self.text[j] in SPACES:
                j += 1
            direction = "backward" if j >= self._n or self.next_clause[j] == j else "forward"
        if direction in ("forward", "both"):
            start = c.end
            if start < self._n and self.text[start] in ":：":
                start += 1  # a header cue (既往史：, 家族史：) reaches past its colon
            fwd = (c.end, self._forward_end(c, start, header=start > c.end))
        if direction in ("backward", "adjacent", "list", "both"):
            back = (self._backward_start(c), c.start)
        return fwd[0], fwd[1], back[0], back[1]

    def _forward_end(self, c: Cue, start: int, header: bool = False) -> int:
        """Where the forward scope ends; a header (既往史：…) reaches its sentence's end."""
        assert c.status is not None
        if start >= self._n:
            return start
        if c.reach == "sentence" or header:
            limit = min(self.next_sentence[start], start + MAX_SENTENCE_REACH)
        else:
            limit = min(self.next_clause[start], start + MAX_CLAUSE_REACH)
        cap = min(self._n, limit + MAX_LIST_REACH)
        while True:
            term = self._next_term(c.status, c.end, limit)
            if term is not None:
                return term
            # a clause of only spans and list words continues the list across the comma
            if c.reach == "clause" and limit + 1 < cap and self.text[limit] in "，,":
                nxt = min(self.next_clause[limit + 1], cap)
                if self._only_spans(limit + 1, nxt):
                    limit = nxt
                    continue
            return limit

    def _backward_start(self, c: Cue) -> int:
        assert c.status is not None
        start = max(self.prev_clause[c.start], c.start - MAX_CLAUSE_REACH)
        terms = self.terms[c.status]
        k = bisect_left(terms, c.start) - 1
        if k >= 0 and terms[k] >= start:
            start = terms[k] + 1
        return start

    def _next_term(self, status: AssertionStatus, lo: int, hi: int) -> int | None:
        terms = self.terms[status]
        k = bisect_left(terms, lo)
        return terms[k] if k < len(terms) and terms[k] < hi else None

    def _only_spans(self, lo: int, hi: int) -> bool:
        """True when [lo, hi) holds at least one span and nothing else but list words."""
        if hi <= lo:
            return False
        chars = list(self.text[lo:hi])
        covered = False
        k = bisect_left(self.span_starts, lo)
        while k < len(self.span_starts) and self.span_starts[k] < hi:
            a, b = self.spans_sorted[k]
            if b <= hi:
                covered = True
                chars[a - lo:b - lo] = [""] * (b - a)
            k += 1
        return covered and not _LIST_FILLER.sub("", "".join(chars))

    def _exception_ranges(self, cues: list[Cue]) -> list[tuple[int, int]]:
        ranges = []
        for c in cues:
            if c.kind == "exception" and c.end < self._n:
                stop = min(self.next_clause[c.end], c.end + MAX_CLAUSE_REACH)
                j = self.text.find("外", c.end, stop)
                if j > 0:
                    ranges.append((c.start, j + 1))
        return ranges

    # --- decisions ----------------------------------------------------------------------------
    def decide(self, k: int) -> Assertion:
        s, e = self.spans[k]
        lo = bisect_left(self.trigger_starts, s - self.max_reach)
        hi = bisect_right(self.trigger_starts, e + MAX_CLAUSE_REACH)
        applied = [self.triggers[t] for t in range(lo, hi) if self._applies(t, s, e)]
        if not applied:
            return Assertion(S.PRESENT)
        rank = {status: i for i, status in enumerate(PRIORITY)}
        # among cues of the winning status, the nearest one explains best
        applied.sort(key=lambda c: (rank[c.status], min(abs(c.start - s), abs(c.end - e))))  # type: ignore[index]
        win = applied[0]
        assert win.status is not None
        overruled = tuple(c for c in applied[1:] if c.status != win.status)
        return Assertion(win.status, win, overruled, "before" if win.end <= s else "after")

    def _applies(self, t: int, s: int, e: int) -> bool:
        c = self.triggers[t]
        if c.start < e and s < c.end:
            return False  # the span's own words (无力, 不适) are no cue about it
        if self._in_other_span(c, s, e) or self._insulated(c, s, e):
            return False
        if c.status == S.FAMILY and self.text[max(0, c.start - 2):c.start].endswith(_POSSESSIVES):
            return False
        f0, f1, b0, b1 = self.scopes[t]
        if f0 <= s < f1 and c.end <= s:
            return True
        if not (b1 > b0 and e <= c.start and b0 <= s):
            return False
        if c.direction in ("list", "both"):
            # the span is an item of the list the cue closes: 高血压、糖尿病、冠心病史, 高血压病史;
            # not 新生儿HIE的诊断主要依据病史, not 头痛史或明确家族史 (for 家族史)
            gap = self.text[e:c.start]
            return not _LIST_FILLER.sub("", gap) or gap[0] in _LIST_SEPARATORS
        if c.direction == "adjacent":
            if self.text[e:c.start].strip(" \t\u3000叒”\"）)】'’"):
                return False
            # a Q&A question (哪里可以医治X？) asks about something else than the entity's existence
            return not _INTERROGATIVE.search(self.text[self.prev_clause[s]:c.start])
        return True

    def _in_other_span(self, c: Cue, s: int, e: int) -> bool:
        """Inside another span that does not contain this one: part of that entity's name
        (未分化癌、腺癌 does not deny 腺癌). CMeEE, which puts some negations inside the entity
        (无咽痛、鼻塞), loses a little by this; this project's spans leave the cue outside."""
        k = bisect_right(self.span_starts, c.start) - 1
        while k >= 0 and self.spans_sorted[k][0] >= c.start - MAX_SENTENCE_REACH:
            a, b = self.spans_sorted[k]
            if a <= c.start and c.end <= b and not (a <= s and e <= b):
                return True
            k -= 1
        return False

    def _insulated(self, c: Cue, s: int, e: int) -> bool:
        """The span sits in an exception 除…外 that the cue stands outside of."""
        k = bisect_right(self.exception_starts, s) - 1
        while k >= 0 and self.exceptions[k][0] >= s - MAX_CLAUSE_REACH:
            a, b = self.exceptions[k]
            if e <= b and not (a <= c.start and c.end <= b):
                return True
            k -= 1
        return False


def _is_sentence_end(text: str, i: int) -> bool:
    ch = text[i]
    if ch in SENTENCE_ENDS:
        return True
    # "." ends a sentence or a numbered item (1.胃体溃疡), except inside a number (2.57)
    return ch == "." and not (0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit())


def _next_boundary(text: str, is_end: Callable[[str, int], bool]) -> list[int]:
    n = len(text)
    out = [n] * (n + 1)
    for i in range(n - 1, -1, -1):
        out[i] = i if is_end(text, i) else out[i + 1]
    return out


def _prev_boundary(text: str, is_end: Callable[[str, int], bool]) -> list[int]:
    n = len(text)
    out = [0] * (n + 1)
    for i in range(1, n + 1):
        out[i] = i if is_end(text, i - 1) else out[i - 1]
    return out


_DEFAULT: ContextDetector | None = None


def default_detector() -> ContextDetector:
    """One shared detector: the lexicon is built once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = ContextDetector()
    return _DEFAULT


def detect(text: str, spans: Sequence[Span] | Sequence[tuple[int, int]]) -> list[AssertionStatus]:
    """One status per span of ``text`` (``Span`` objects or ``(start, end)`` pairs)."""
    return default_detector().detect(text, spans)


def detect_spans(text: str, spans: Sequence[Span]) -> list[Assertion]:
    """One ``Assertion`` (status, deciding cue with its offset, overruled cues) per span."""
    return default_detector().detect_spans(text, spans)

