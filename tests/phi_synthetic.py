"""Synthetic Chinese clinical records with planted personal information, for measuring ``madpg_core.phi``.

``records(n, seed)`` gives ``n`` records, each a text and the identifiers planted in it as
(start, end, kind, text). Every kind appears in several contexts (with and without colons, in
different formats), beside distractors that must not be found: admission dates, lab values,
doses, ages, blood pressure, de-identified names (王某), generic hospitals (我院, 当地医院) and
long digit runs that contain a valid ID number. Everything is made up; no real person is named.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国志文斌鹏辉宇浩晨欣怡佳琪梓涵子轩雨萱俊博文彬淑珍凤云"
PROVINCES = [11, 12, 13, 31, 32, 33, 35, 37, 41, 42, 44, 50, 51, 53, 61, 65]
CITIES = [("北京市", "朝阳区"), ("上海市", "浦东新区"), ("广州市", "天河区"), ("杭州市", "西湖区"), ("成都市", "武侯区"),
          ("武汉市", "洪山区"), ("西安市", "雁塔区"), ("南京市", "鼓楼区")]
PROVINCE_NAMES = ["河北省", "江苏省", "浙江省", "广东省", "四川省", "湖北省", "山东省", "河南省"]
COUNTIES = ["正定县", "桐乡市", "仁寿县", "汉川市", "曹县", "新郑市"]
ROADS = ["建国路", "人民路", "解放大道", "中山路", "文一西路", "长江路", "和平街", "幸福巷"]
PROPER = ["协和", "华西", "湘雅", "瑞金", "同济", "齐鲁", "仁济", "中山", "宣武", "天坛", "安贞", "朝阳"]
FILLER = ["患者诉腹痛3天，伴恶心呕吐。", "患者男，62岁，因反复咳嗽咳痰10年入院。", "患者自述胸闷气促。",
          "查体：T 36.8℃，P 88次/分，R 20次/分，BP 130/80mmHg。", "血常规：WBC 12.5×10^9/L，PLT 138×10^9/L。",
          "予阿莫西林 0.5g tid 口服，奥美拉唑 20mg qd。", "入院日期：2021-03-05，出院日期：2021-03-18。",
          "既往高血压病史5年，否认糖尿病史。", "患者王某，女，45岁。", "外院CT示右肺结节，遂来我院就诊。",
          "曾于当地医院治疗，效果不佳。", "于2019年12月在市人民医院行阑尾切除术。", "血糖 13.5mmol/L，HbA1c 8.2%。",
          "患者一般情况可，精神食欲尚可，二便正常。", "患者高热3天，最高39.5℃。", "术后第2天患者生命体征平稳。",
          "标本条码 {long}。", "心电图：窦性心律，心率72次/分。", "年龄：45岁，体重65kg，身高170cm。",
          "患儿哭闹不安，吃奶差。", "1年前出现双下肢水肿。", "复查胸片示双肺纹理增粗。", "尿蛋白(+)，24小时尿蛋白1.2g。"]


@dataclass
class Synthetic:
    text: str = ""
    planted: list[tuple[int, int, str, str]] = field(default_factory=list)

    def add(self, s: str) -> None:
        self.text += s

    def plant(self, before: str, value: str, kind: str, after: str = "") -> None:
        self.text += before
        self.planted.append((len(self.text), len(self.text) + len(value), kind, value))
        self.text += value + after


def id_number(rng: random.Random) -> str:
    birth = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(30000))
    body = f"{rng.choice(PROVINCES)}{rng.randrange(10000):04d}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(body))
    return body + "10X98765432"[total % 11]


def _mobile(rng: random.Random) -> str:
    d = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    return rng.choice([d, f"{d[:3]}-{d[3:7]}-{d[7:]}", f"{d[:3]} {d[3:7]} {d[7:]}", f"+86 {d}", f"+86-{d}"])


def _landline(rng: random.Random) -> str:
    area, local = rng.choice([("010", 8), ("021", 8), ("0571", 7), ("0755", 8), ("028", 8), ("0531", 7)])
    number = str(rng.randint(2, 8)) + "".join(str(rng.randrange(10)) for _ in range(local - 1))
    return rng.choice([f"{area}-{number}", f"({area}){number}", f"（{area}）{number}", f"{area} {number}"])


def _birth(rng: random.Random) -> str:
    b = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(30000))
    return rng.choice([f"{b.year}年{b.month}月{b.day}日", f"{b:%Y-%m-%d}", f"{b:%Y/%m/%d}", f"{b:%Y.%m.%d}",
                       f"{b:%Y%m%d}", f"{b.year}年{b.month}月"])


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _record_number(rng: random.Random) -> str:
    return rng.choice([f"{rng.randrange(10**7):07d}", f"ZY{rng.randrange(10**8):08d}",
                       f"{rng.randrange(10**10):010d}", f"MZ-{rng.randrange(10**6):06d}"])


def _address(rng: random.Random) -> str:
    road = f"{rng.choice(ROADS)}{rng.randint(1, 999)}号"
    if rng.random() < 0.5:
        city, district = rng.choice(CITIES)
        return city + district + road + rng.choice(["", f"{rng.randint(1, 30)}栋{rng.randint(101, 2502)}室"])
    return rng.choice(PROVINCE_NAMES) + rng.choice(COUNTIES) + rng.choice(["城关镇", "新华街道"]) + road


def _hospital(rng: random.Random) -> str:
    city = rng.choice(CITIES)[0]
    return rng.choice([f"{city[:2]}{rng.choice(PROPER)}医院", f"{city}第{rng.choice('一二三四五')}人民医院",
                       f"{rng.choice(PROPER)}医院", f"{city[:2]}{rng.choice(PROPER)}社区卫生服务中心"])


# (kind, maker, contexts as (before, after))
PLANTS = [
    ("id_card", id_number, [("身份证号：", "。"), ("身份证号码 ", "，"), ("证件号", "。"), ("ID:", " "), ("（", "）")]),
    ("mobile", _mobile, [("联系电话：", "。"), ("手机", "，"), ("家属电话 ", "。"), ("电话:", "；"), ("请拨打", "联系。")]),
    ("landline", _landline, [("联系电话：", "。"), ("单位电话 ", "，"), ("固话", "。"), ("tel:", " ")]),
    ("birth_date", _birth, [("出生日期：", "，"), ("生于", "，"), ("出生年月：", "。"), ("DOB: ", " "), ("出生于", "。")]),
    ("name", _name, [("患者", "，男，56岁，"), ("姓名：", "  性别：女 "), ("患者", "因发热2天入院。"), ("家属", "代诉病史。"),
                     ("患儿", "，3岁，"), ("其子", "陪同来院。"), ("联系人：", "（儿子），"), ("病人", "于今晨")]),
    ("record_number", _record_number, [("住院号：", "，"), ("病案号 ", "。"), ("门诊号:", " "), ("ID号：", "，")]),
    ("address", _address, [("家住", "，"), ("住址：", "。"), ("现住", "。"), ("地址:", " ")]),
    ("hospital", _hospital, [("曾于", "就诊，"), ("2年前在", "行手术。"), ("转至", "进一步治疗。"), ("", "出院记录：")]),
]


def records(n: int = 240, seed: int = 18) -> list[Synthetic]:
    """``n`` records; record i plants every kind (ids and phones twice), shuffled among fillers."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        rec = Synthetic()
        pieces: list[tuple[str, ...]] = [("fill", f) for f in rng.sample(FILLER, 6)]
        for kind, make, contexts in PLANTS:
            for _ in range(2 if kind in ("id_card", "mobile") else 1):
                before, after = rng.choice(contexts)
                pieces.append(("plant", kind, before, make(rng), after))
        rng.shuffle(pieces)
        for p in pieces:
            if p[0] == "fill":
                rec.add(p[1].format(long=id_number(rng) + f"{rng.randrange(100):02d}"))
            else:
                rec.plant(p[2], p[3], p[1], p[4])
        out.append(rec)
    return out
