"""Personal information in Chinese clinical text: ``scan(text)`` finds it, ``mask`` hides it in place.

Rules, not a model: every kind is a bounded regular expression (no unbounded ``+`` or ``*``, so one
pass costs O(len(text) × the longest pattern)) plus a check in Python on each candidate (an ID's
check digit, a name's surname and the word after it, a hospital's proper-name part). Numbers never
match inside a longer run of digits. Findings never overlap; ``mask`` keeps every offset valid.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Kind = Literal["id_card", "mobile", "landline", "birth_date", "name", "record_number", "address", "hospital"]
KINDS: tuple[Kind, ...] = ("id_card", "mobile", "landline", "birth_date", "name", "record_number", "address",
                           "hospital")
MASK_CHAR = "＊"  # full-width: as wide as the CJK characters it usually replaces


@dataclass(frozen=True)
class Finding:
    """[start, end) on the scanned text, what kind of identifier it is, and the text it covers."""

    start: int
    end: int
    kind: Kind
    text: str


CJK = "\u4e00-\u9fff"
# ASCII digits throughout: \d would also take full-width and other scripts' digits.
NO_DIGIT_BEFORE, NO_DIGIT_AFTER = r"(?<![0-9])", r"(?![0-9])"

# GB 11643 region codes: the first two digits name a province-level division.
PROVINCES = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
                       50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83})
ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))

ID_RE = re.compile(NO_DIGIT_BEFORE + r"([1-9][0-9]{5})[ -]?((?:18|19|20)[0-9]{6})[ -]?([0-9]{3}[0-9Xx])"
                   r"(?![0-9A-Za-z])")
OLD_ID_RE = re.compile(r"身份证(?:号码|号)?[:：\s]{0,3}([1-9][0-9]{14})" + NO_DIGIT_AFTER)
SEP = r"[ -]?"
MOBILE_RE = re.compile(NO_DIGIT_BEFORE + r"(?:(?:\+|00)86[ -]?|86-)?1[3-9][0-9]" + SEP + r"[0-9]{4}" + SEP
                       + r"[0-9]{4}" + NO_DIGIT_AFTER)
AREA = r"0(?:10|2[0-9]|[3-9][0-9]{2})"
# An area code needs a separator or brackets: a bare 0-led run of digits is too often something else.
LANDLINE_RE = re.compile(NO_DIGIT_BEFORE + r"(?:[(（]" + AREA + r"[)）] ?|" + AREA + r"[-－ ])[2-8][0-9]{6,7}"
                         r"(?:-[0-9]{1,4})?" + NO_DIGIT_AFTER)
PHONE_CUE_RE = re.compile(r"(?:电话|联系方式|手机|Tel|TEL|tel)(?:号码)?[:：\s]{0,3}(" + AREA + r"[2-8][0-9]{6,7}|[2-8]"
                          r"[0-9]{6,7})" + NO_DIGIT_AFTER)
DATE = (r"(?:19|20)[0-9]{2}(?:年(?:0?[1-9]|1[0-2])月(?:(?:0?[1-9]|[12][0-9]|3[01])[日号]?)?"
        r"|[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12][0-9]|3[01])|(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))")
BIRTH_RE = re.compile(r"(?:出生日期|出生年月日?|出生于|出生|生于|生日|DOB|D\.O\.B\.?|Date of Birth)[:：\s]{0,3}"
                      r"(" + DATE + r")" + NO_DIGIT_AFTER)
RECORD_CUES = ("病案号|病历号|住院号|门诊号|急诊号|住院ID|门诊ID|患者ID|病人ID|ID号|登记号|就诊卡号|就诊号|医保卡号|"
               "医保号|社保卡号|检查号|影像号|病理号|流水号|条码号")
# A number may carry a year or part suffix ("46920.15", "9501.2013") and a cue may head a list of them
# ("病理号201435397、201433427"): all of it is the identifier (seen in cEHRNER's pathology numbers).
_RECORD_ID = r"[A-Za-z]{0,3}-?[0-9][0-9A-Za-z-]{2,23}(?:\.[0-9]{2,4})?"
RECORD_RE = re.compile(r"(?:" + RECORD_CUES + r")[:：\s]{0,3}(" + _RECORD_ID + r"(?:[、,，/]" + _RECORD_ID
                       + r"){0,5})(?![0-9A-Za-z-])")
ADDRESS_SUFFIX = r"(?:省|市|区|县|镇|乡|村|路|街|道|巷|弄|号|室|栋|幢|楼|单元|小区|组|苑|园|里)"
ADDRESS_CUE_RE = re.compile(r"(?:住址|家住|地址|现住|现居|居住地|户籍地|户口所在地|住在)[:：\s]{0,2}"
                            r"([" + CJK + r"0-9A-Za-z#-]{0,40}" + ADDRESS_SUFFIX + r")")
# Without a cue: a city or county, a road and a house number — rare in clinical prose otherwise.
ADDRESS_BARE_RE = re.compile(r"(?:[" + CJK + r"]{2,7}(?:省|自治区))?[" + CJK + r"]{1,8}(?:市|县|区)[" + CJK
                             + r"0-9]{0,12}(?:路|街|大道|巷|弄)[0-9]{1,5}号(?:[0-9]{1,4}(?:室|栋|幢|号楼))?")
HOSPITAL_RE = re.compile(r"([" + CJK + r"]{2,14})(医院|卫生院|诊所|卫生服务中心|卫生服务站|保健院|医疗中心)")


def id_check_ok(digits: str) -> bool:
    """ISO 7064 MOD 11-2, as GB 11643 uses: the 18th character from the first 17."""
    total = sum(int(c) * w for c, w in zip(digits[:17], ID_WEIGHTS))
    return "10X98765432"[total % 11] == digits[17].upper()


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        return _dt.date(year, month, day) <= _dt.date.today()
    except ValueError:
        return False


def _ids(text: str, work: Counter) -> Iterable[Finding]:
    for m in ID_RE.finditer(text):
        work["candidates"] += 1
        region, birth, tail = m.groups()
        digits = region + birth + tail
        if int(region[:2]) in PROVINCES and _valid_date(int(birth[:4]), int(birth[4:6]), int(birth[6:])) \
                and id_check_ok(digits):
            yield Finding(m.start(), m.end(), "id_card", m.group())
    for m in OLD_ID_RE.finditer(text):  # 15-digit IDs (before 1999): no check digit, so only after a cue
        work["candidates"] += 1
        d = m.group(1)
        if int(d[:2]) in PROVINCES and _valid_date(1900 + int(d[6:8]), int(d[8:10]), int(d[10:12])):
            yield Finding(m.start(1), m.end(1), "id_card", d)


def _groups(regex: re.Pattern, kind: Kind, text: str, work: Counter, group: int = 0) -> Iterable[Finding]:
    for m in regex.finditer(text):
        work["candidates"] += 1
        yield Finding(m.start(group), m.end(group), kind, m.group(group))


def _birth_dates(text: str, work: Counter) -> Iterable[Finding]:
    for m in BIRTH_RE.finditer(text):
        work["candidates"] += 1
        nums = [int(x) for x in re.findall(r"[0-9]+", m.group(1))]
        if len(nums) == 1:  # 19900307
            s = m.group(1)
            nums = [int(s[:4]), int(s[4:6]), int(s[6:8])]
        if _valid_date(nums[0], nums[1], nums[2] if len(nums) > 2 else 1):
            yield Finding(m.start(1), m.end(1), "birth_date", m.group(1))


ADDRESS_NOT = set("的病症性炎")
ADDRESS_CUT = set("住址在于至到家现居迁往来自是为的系及与和")  # before the place: the words that led to it


def _addresses(text: str, work: Counter) -> Iterable[Finding]:
    for m in ADDRESS_CUE_RE.finditer(text):
        work["candidates"] += 1
        if not ADDRESS_NOT.intersection(m.group(1)):  # "居住在地方性甲状腺肿病的流行区" is no address
            yield Finding(m.start(1), m.end(1), "address", m.group(1))
    for m in ADDRESS_BARE_RE.finditer(text):
        work["candidates"] += 1
        s = m.group()
        head = re.match(r"[^省市县区]*", s).group()  # the words before the first division name
        cut = max((i + 1 for i, c in enumerate(head) if c in ADDRESS_CUT), default=0)
        yield Finding(m.start() + cut, m.end(), "address", s[cut:])


# The prefix of "…医院" is cut after the last of these (a verb or preposition before the name) …
HOSPITAL_CUT = set("在于至到转赴往去来经就诊入出住院行做查示治及与或的我外本该其诉曾后前并已再均因故遂即晨夜午年"
                   "哪些家几好有疗话最看找问请选荐么怎样个是比如很多不这那里所换过得择要需可以常规般级等此据根对从"
                   "列衡量征指现完宝了情况送应们你他她网论说告报会回各除代险")
# … and what is left must keep ≥ 2 characters once these generic words are taken out: "市人民医院",
# "当地县医院" and "省肿瘤医院" name no particular hospital; "北京协和医院" does.
HOSPITAL_GENERIC = re.compile(
    "当地|本地|外地|附近|上级|基层|社区|乡镇|县级|市级|省级|三甲|二甲|三级|二级|综合|专科|专业|正规|私人|私立|个体|民营|"
    "公立|多家|各大|其他|某|人民|中西医结合|中医|西医|第[一二三四五六七八九十]{1,3}|附属|大学|医科|医学院|医学|肿瘤|妇幼|"
    "妇产|儿童|中心|精神病|精神|传染病|结核病|口腔|眼科|骨科|皮肤病|胸科|军区|解放军|武警|部队|铁路|职工|省|市|县|区|"
    "镇|乡|村|大|小|总|新|老|一|二|三|下级|妇科|男科|内科|外科|儿科|五官科|皮肤科|皮肤|骨伤|整形|美容|牙科|人流|植发|"
    "专治|权威|大型|最好|高档|知名|著名|国际|网上|甲等|国内|国外|全国")
# A prefix naming a disease is an advertisement or a question ("肠癌医院", "上海哪家脑瘫医院"), not where a
# patient was treated.
HOSPITAL_DISEASE = set("癌瘤病炎瘫症疹痔疣痘疮痫孕育痛斑石秃痒鸣喘眠秘酸癣癜血痰腹")


def _hospitals(text: str, work: Counter) -> Iterable[Finding]:
    for m in HOSPITAL_RE.finditer(text):
        work["candidates"] += 1
        prefix = m.group(1)
        cut = max((i + 1 for i, c in enumerate(prefix) if c in HOSPITAL_CUT), default=0)
        prefix = prefix[cut:]
        if len(HOSPITAL_GENERIC.sub("", prefix)) >= 2 and not HOSPITAL_DISEASE.intersection(prefix):
            yield Finding(m.start(1) + cut, m.end(), "hospital", prefix + m.group(2))


def scan(text: str, work: Counter | None = None) -> list[Finding]:
    """Every identifier found in ``text``, in order, none overlapping (the longer one wins; at equal
    length, the earlier kind in :data:`KINDS`). ``work`` (optional) counts passes over the text and
    candidates checked, so a test can see the cost grow with the text, not faster."""
    work = work if work is not None else Counter()
    found: list[Finding] = []
    for finder in (_ids, lambda t, w: _groups(MOBILE_RE, "mobile", t, w),
                   lambda t, w: _groups(LANDLINE_RE, "landline", t, w),
                   lambda t, w: _groups(PHONE_CUE_RE, "landline", t, w, 1),
                   _birth_dates, _names, lambda t, w: _groups(RECORD_RE, "record_number", t, w, 1),
                   _addresses, _hospitals):
        work["passes"] += 1
        found.extend(finder(text, work))
    return _without_overlaps(found)


def _without_overlaps(found: list[Finding]) -> list[Finding]:
    rank = {k: i for i, k in enumerate(KINDS)}
    # A cued record number beats a mobile-looking number it contains: the cue says what it is.
    rank["record_number"] = -1
    kept: list[Finding] = []
    for f in sorted(found, key=lambda f: (-(f.end - f.start), rank[f.kind], f.start)):
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)


def mask(text: str, findings: Sequence[Finding] | Iterable[Finding]) -> str:
    """``text`` with each finding's characters replaced by :data:`MASK_CHAR`, one for one, so that
    every offset (spans, other findings) stays valid."""
    chars = list(text)
    for f in findings:
        if text[f.start:f.end] != f.text:
            raise ValueError(f"finding {f.kind} [{f.start}, {f.end}) does not match the text")
        chars[f.start:f.end] = MASK_CHAR * (f.end - f.start)
    return "".join(chars)


# ---------------------------------------------------------------- names after a cue

# Common single surnames (about 99 % of people) and the compound ones; a name is one of them and one
# or two more characters. Surnames that are everyday words in clinical prose (高, 全, 双, 平, 成, 明 …)
# stay in: the checks below on the given name and the word after it keep "患者高热3天" out.
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安"
    "齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛"
    "靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应"
    "臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌"
    "奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙"
    "浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣"
    "信展阴昝智幸奉植衡富尧闭由")
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "司徒", "夏侯", "尉迟", "长孙",
                     "宇文", "公孙", "端木", "独孤", "南宫", "西门", "轩辕", "百里", "呼延", "澹台", "万俟", "单于")
# Characters that end a name or cannot be part of one: function words, and the words that follow a
# cue in ordinary clinical prose (患者诉/于/因/自述, 患者双下肢…, 患者精神可 …).
NOT_IN_NAME = set(
    "于在因由有无经行被已曾将为是了的不也都又就及和与并等自从向对以诉述称感觉出现入院后前今昨日年月天时分次余约近"
    "来去回到至再仍尚未均可差好良热痛咳喘吐泻肿胀麻木血压尿便食眠神意识清醒精体重双单左右上下全身部侧肢头胸腹背腰"
    "术前后期中内外男女岁性别名某某ＸX＊*×○□甲乙丙丁之其该此所系属患者病人家诉主龄诊肤讨化疗治检查护理说常应呼吸关注康复信息容易犯损限卧髓符合见按做禁慎用予相源呈窄狭规架毛胎儿床和发起药")
CUE_RE = re.compile(r"(?:患者姓名|病人姓名|家属姓名|联系人姓名|姓名|患者|病人|病患|患儿|家属|联系人|监护人|陪护人|代诉人|"
                    r"之子|之女|其女儿|其儿子|其子|其女|其夫|其妻|其父|其母|儿子|女儿|丈夫|妻子|父亲|母亲|爱人|配偶|签字人|"
                    r"主治医师|主治医生|经治医师|医师签名|签名)[:：]?[ 　]{0,2}")
GENERIC_CUES = ("患者", "病人", "病患", "患儿", "家属")
OPENS_CLAUSE = set("时及与和对嘱告知示见后前今晨日经因由系请给予为将即遂后诉")
# What may follow a name: punctuation or space, the sex, an age, or a verb that opens the story.
AFTER_NAME = re.compile(r"$|[\s，,。.；;：:、（(）)“”\"'！!？?/|]|男|女|性别|[0-9]{1,3}岁|因|于|以|自|诉|主诉|来|入|陪|代诉|"
                        r"就诊|先生|女士|同志|之|的|系|为|年龄|家属|签")


# A name without a cue, where a record or sentence opens with it and the sex follows: "张三，男，45岁".
NAME_SEX_RE = re.compile(r"(?<![^。\n；;：:\s,，])([" + CJK + r"]{2,4})[，,、 ][男女][，,、 0-9]")


def _names(text: str, work: Counter) -> Iterable[Finding]:
    for m in NAME_SEX_RE.finditer(text):
        work["candidates"] += 1
        if _name_at(text, m.start(1)) == m.end(1):
            yield Finding(m.start(1), m.end(1), "name", m.group(1))
    for m in CUE_RE.finditer(text):
        work["candidates"] += 1
        before = text[m.start() - 1:m.start()]
        # "高热患者应予…", "白癜风患者康复": a cue with a modifier in front speaks of patients in general;
        # one that opens a clause ("患者张三，", "入院时患者…") may introduce a person.
        if m.group().startswith(GENERIC_CUES) and "\u4e00" <= before <= "\u9fff" and before not in OPENS_CLAUSE:
            continue
        found = _name_at(text, m.end())
        if found is not None:
            yield Finding(m.end(), found, "name", text[m.end():found])


def _name_at(text: str, i: int) -> int | None:
    """Where a name starting at ``i`` ends, or None: a surname, then one or two characters that can
    be in a name, then something that can follow a name (so the given name's length is known)."""
    surname = 2 if text[i:i + 2] in COMPOUND_SURNAMES else 1 if text[i:i + 1] in SURNAMES else 0
    if not surname:
        return None
    for given in (1, 2):
        end = i + surname + given
        part = text[i + surname:end]
        if len(part) < given or not all("\u4e00" <= c <= "\u9fff" and c not in NOT_IN_NAME for c in part):
            return None
        if AFTER_NAME.match(text, end):
            return end
    return None
