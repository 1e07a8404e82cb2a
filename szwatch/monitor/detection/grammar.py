"""The words of Chinese economic reporting that detection reads, as tables; the patterns are built from them.

Extending the grammar is adding a row: a growth verb with its sign (``降低: -1``), a unit, a period word, a
place, a target word, a stage word or a synonym inside project names. Nothing here knows a story; the
readers (``figures``, ``facts``, ``match``) say in their docstrings which table drives which rule.
"""

from __future__ import annotations

import re

# --------------------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------------------

CN_NUM = "零〇一二两三四五六七八九十百千万点"
NUM = rf"(?:\d+(?:\.\d+)?|[{CN_NUM}]+)"
PCT = rf"(?:{NUM}\s*%|百分之[{CN_NUM}]+)"
SEP = r"\s*[、和及与]\s*"  # between the numbers of one list: 增长6.2%、11.4%和23.7%

# --------------------------------------------------------------------------------------------------------
# Growth: verbs and nouns with the sign they give a percentage
# --------------------------------------------------------------------------------------------------------

GROWTH_VERBS: dict[str, int] = {
    "增长": 1, "增加": 1, "提高": 1, "上升": 1, "上涨": 1, "提升": 1, "攀升": 1,
    "下降": -1, "减少": -1, "回落": -1, "下滑": -1, "降低": -1, "下跌": -1,
}  # fmt: skip
# One-character verbs are words only right after a comparison: 同比增5.2% / 同比降3.1%.
SHORT_VERBS: dict[str, int] = {"增": 1, "降": -1, "减": -1, "涨": 1, "跌": -1}
COMPARISONS = ("同比", "比上年同期", "比上年", "较上年同期", "较上年", "比去年同期", "比去年", "较去年同期", "较去年",
               "较上年同期", "较同期", "与上年同期相比", "与去年同期相比")  # fmt: skip
# A growth stated as a noun with no verb: 增速12.3%, 增长幅度为5.4%, 降幅3.2%.
GROWTH_NOUNS: dict[str, int] = {
    "增速": 1, "增幅": 1, "增长幅度": 1, "增长率": 1, "增长速度": 1, "涨幅": 1,
    "降幅": -1, "下降幅度": -1, "减幅": -1, "跌幅": -1,
}  # fmt: skip
NOUN_LINKS = ("分别为", "分别达到", "分别达", "分别是", "为", "达到", "达", "是", "保持在", "保持")
# A percentage followed by one of these is a threshold or an estimate, not a figure: 20%以上, 6%左右.
APPROXIMATE = ("以上", "左右", "以内", "上下", "多")

# --------------------------------------------------------------------------------------------------------
# Levels: units, and words before a number that make it a change rather than a level
# --------------------------------------------------------------------------------------------------------

UNITS = (
    "亿度", "万度", "亿美元", "万美元", "亿元", "万元", "亿千瓦时", "万千瓦时", "万千瓦", "千瓦", "万吨标准煤", "亿吨",
    "万吨", "吨",
    "亿斤", "万斤", "斤", "万公斤", "万亩", "亩", "万公顷", "公顷", "亿立方米", "万立方米", "万平方米", "平方米",
    "万人次", "万人", "万户", "万辆", "万头", "万只", "万标箱", "元", "个", "户", "家", "人", "项", "辆",
)  # fmt: skip
# Units written another way, stored as the first's unit so that figures compare: 度 is 千瓦时.
UNIT_SYNONYMS = {"亿度": "亿千瓦时", "万度": "万千瓦时"}
# 增加3.2万吨 is an absolute change, not the level.
NOT_LEVEL_BEFORE = ("增加", "减少", "新增", "增长", "下降", "多", "少", "净增")
NOT_LEVEL_AFTER = ("以上", "左右", "以内", "多", "月", "百分点", "级", "大关")  # 突破1400亿元大关: a threshold

# --------------------------------------------------------------------------------------------------------
# Comparisons with another area (relative figures) and ranks
# --------------------------------------------------------------------------------------------------------

# 高于朔州市平均水平, 居全朔州第二: a county's figures compared with the city's.
AREAS = ("全国", "全省", "全市", "朔州市", "全朔州")
AREA_PREFIX = ("朔州", "山西")
# 增速高于全省1.2个百分点 (the paper also writes it with %: 高于全省3.1%)
RELATIVE_VERBS: dict[str, int] = {"高于": 1, "快于": 1, "高出": 1, "超出": 1, "领先": 1, "低于": -1, "慢于": -1,
                                  "落后": -1, "低出": -1}  # fmt: skip
# 比全省高1.2个百分点, 较全国快0.8个百分点
RELATIVE_ADJECTIVES: dict[str, int] = {"高出": 1, "高": 1, "快": 1, "多": 1, "低出": -1, "低": -1, "慢": -1, "少": -1}
POINT_UNITS = ("个百分点", "百分点", "%")
RANK_VERBS = ("位居", "位列", "居于", "居", "排名", "排", "列", "名列", "位于")

# --------------------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------------------

RELATIVE_YEARS: dict[str, int] = {"今年": 0, "本年": 0, "去年": 1, "上年度": 1, "前年": 2}
# A year after one of these is what a figure is compared with (比去年, 较去年同期), not its period.
COMPARED_WITH = ("比", "较", "与", "同", "于")
# The figure of the same span a year before, stated as a figure of its own: 去年同期为12.3亿元.
SAME_PERIOD_LAST_YEAR = ("去年同期", "上年同期")
RANGE_MARKS = "—–\\-~至到"
CN_MONTH = "一二三四五六七八九十"

# --------------------------------------------------------------------------------------------------------
# Places: the counties of the city, the city itself, words that point back at the story's county
# --------------------------------------------------------------------------------------------------------

COUNTIES = ("朔城区", "平鲁区", "怀仁市", "山阴县", "应县", "右玉县", "怀仁县")  # 怀仁县 until 2018
CITY = ("朔州市", "朔州全市")  # an explicit city subject: it wins over the county of earlier sentences
# The city's short name right before an indicator is its subject (2022年朔州GDP), even in a story that spoke of
# a county before; elsewhere 朔州 is too often part of a name (朔州经济开发区) to be read as the subject.
CITY_RIGHT_BEFORE = ("朔州", "朔州市", "朔州全市")
OWN_WORDS = ("该市", "该县", "该区", "全市", "全县", "全区")
PLACES = (*COUNTIES, *CITY, *OWN_WORDS, "朔州", "全省", "全国", "山西省", "山西")
OTHER_AREAS = ("全省", "全国", "山西省", "山西")
# Zones that are neither the city nor one of its counties: their figures are not ours (示范区固定资产投资增长…).
OTHER_ZONES = ("示范区", "开发区", "高新区", "新区", "产业园区", "园区", "工业园", "产业园")
# 全市 after one of these is a comparison or a rank (高于全市, 居全市第一, 占全市), not the clause's subject.
BEFORE_AREA_NOT_SUBJECT = ("于", "居", "列", "占", "比", "较", "跑", "过", "出", "在", "为", "与", "全", "比重")

# --------------------------------------------------------------------------------------------------------
# Places outside the city: a project or a figure located there is not ours (``places``)
# --------------------------------------------------------------------------------------------------------

# Places of the city (its counties also without their suffix, its zones): masked before looking for other
# places, and a place of the city in a clause makes it ours. 山西/晋北 contain the city: neither ours nor other.
SHUOZHOU_PLACES = (
    "朔州市", "朔州", "朔城区", "朔城", "平鲁区", "平鲁", "怀仁市", "怀仁", "山阴县", "山阴", "应县", "右玉县",
    "右玉", "我市", "本市", "朔州经济开发区", "朔州开发区", "平朔", "神头",
)  # fmt: skip
CONTAINING_PLACES = ("山西省", "山西", "晋北", "中国", "全国", "全省", "我省", "本省", "国内", "省内", "海外", "境外")
PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "内蒙古", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
    "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "四川", "贵州", "云南", "西藏", "陕西", "甘肃",
    "青海", "宁夏", "新疆", "香港", "澳门", "台湾",
)  # fmt: skip
# Cities named without 市: the other cities of the province, the neighbours, the big ones; foreign countries.
CITIES = (
    "太原", "大同", "忻州", "吕梁", "晋中", "阳泉", "长治", "晋城", "临汾", "运城", "呼和浩特", "包头", "鄂尔多斯",
    "乌海", "乌兰察布", "张家口", "石家庄", "保定", "唐山", "邯郸", "西安", "榆林", "郑州", "济南", "青岛", "南京",
    "苏州", "无锡", "杭州", "宁波", "合肥", "武汉", "长沙", "广州", "深圳", "成都", "沈阳", "大连", "兰州", "银川",
    "西宁", "乌鲁木齐", "拉萨", "昆明", "贵阳", "南宁", "福州", "厦门", "南昌", "哈尔滨", "长春", "雄安",
)  # fmt: skip
COUNTRIES = ("日本", "美国", "韩国", "德国", "法国", "英国", "意大利", "俄罗斯", "澳大利亚", "加拿大", "印度", "新加坡",
             "荷兰", "瑞士", "蒙古国")  # fmt: skip
# Any other 临猗县, 乌海市: two characters and the suffix; none of the two may be one of these (我市, 全县, 城市,
# 超市, 者从市统计局, 工业强市, 养殖大县 …), and the suffix is no word's first half (市场, 县域, 市级, 县委 …).
PLACE_SUFFIXES = ("自治区", "自治州", "自治县", "市", "县")
NOT_PLACE_STEM_CHARS = (
    "全我该本各外两此每上下城超都门股楼车夜早集开入闭菜花街镇乡村省市县区地从据在向为由是的和与及对到至往将把被"
    "等年月日个多其同跨强大型业团副新老众余名批进表带领查自来出加去给让供组拓发研召动推促补齐节又既殖养广当整合"
    "兴立富活稳归线沿"
)
NOT_PLACE_AFTER = "场委级民长政属直域内外区县乡城府容貌情会值面里人"
# A named place followed by one of these is part of a smaller place's name (南榆林乡) or a street (太原路).
NOT_PLACE_FOLLOWERS = ("乡", "镇", "村", "路", "街", "大道", "大街", "小区")
# Words containing a place name that are no place: 大同小异, 长治久安, 复合肥, 幸福建设, 隆重庆祝, 河南岸.
PLACE_FALSE_FRIENDS = ("大同小异", "长治久安", "四季长春", "复合肥", "幸福建", "隆重庆", "南岸", "北岸", "东岸", "西岸",
                       "日本报", "日本市")  # fmt: skip
# A place after one of these is a destination, an origin or a partner, not where a project is: 发往日本,
# 朔州至太原, 来自北京的客商, 与大同市签约.
NOT_LOCATING_BEFORE = ("—", "–", "发往", "销往", "运往", "远销", "出口", "来自", "至", "到", "往", "赴", "去", "与",
                       "和", "同", "比", "较", "向", "从", "对", "联通", "连接", "达", "途经", "北起", "南起", "引进",
                       "进口", "采用")  # fmt: skip
# Words that say where something happens: 其在乌海的基地, 位于太原的工厂.
LOCATIVE_BEFORE = ("在", "位于", "地处", "落户", "落地", "落户于", "建于")
# …and so is every later place of the same list: 远销韩国、日本和东南亚, 朔州与大同、忻州、太原.
LIST_MARKS = ("、", "和", "及", "与", "以及")
# What may stand before another place at the head of a clause for it to be the clause's subject (据临猗县统计局).
SUBJECT_LEADS = ("", "据", "另据", "而")
# A place before one of these is a source (据内蒙古日报报道) or an origin (日本技术), not where a thing is.
NOT_PLACE_BEFORE = ("日报", "晚报", "电视台", "卫视", "广播", "新闻", "大学", "学院", "技术", "设备", "工艺", "专家",
                    "客商", "游客")  # fmt: skip

# --------------------------------------------------------------------------------------------------------
# Targets and plans: a clause with one of these states no observation
# --------------------------------------------------------------------------------------------------------

TARGET_WORDS = ("目标", "预期", "力争", "计划", "预计", "确保", "争取", "有望", "将实现", "将达到", "将突破",
                "将超过", "将完成", "将增长", "要实现")  # fmt: skip
# …but these contain a target word and state a fact: 计划总投资312亿元 is what the signed projects amount to.
NOT_TARGETS = ("计划总投资", "计划投资")

# --------------------------------------------------------------------------------------------------------
# Clause subjects
# --------------------------------------------------------------------------------------------------------

# Words between a subject and its figure that are not themselves a subject.
FILLERS = (
    "同比", "比上年同期", "比上年", "较上年同期", "较上年", "比去年同期", "比去年", "较去年", "同期", "增速", "增幅",
    "其中", "全年", "累计", "总量", "分别", "均", "共", "完成", "实现", "达到", "达", "为", "突破", "超过", "和", "与",
    "及", "、", "本报讯", "记者", "从", "看", "截至", "截止", "的", "已", "已经", "总计", "合计", "全部",
    "同口径", "可比口径", "按可比口径",
)  # fmt: skip
# A clause whose subject is one of these measures the subject carried from before: 总投资 of the projects just
# counted, 总产量 of the crop just named.
ATTRIBUTES = ("计划总投资", "预计总投资", "总投资", "投资总额", "协议投资", "签约金额", "合同金额", "协议投资额",
              "签约投资额", "计划总投资额", "总投资额")  # fmt: skip
# Measure words: the head of an indicator name (distributed over an enumeration: 交通、水利投资) and the
# elliptical subject of a clause (…种植面积12.5万亩，总产量86.3万吨 — the 总产量 of the crop).
MEASURES = (
    "增加值", "投资", "总产值", "产值", "营业收入", "收入", "支出", "总产量", "产量", "总产", "零售总额", "零售额",
    "销售额", "总额", "出栏", "存栏", "播种面积", "种植面积", "面积", "单产", "产能", "用电量", "发电量", "货运量",
    "客运量", "进出口", "出口", "进口", "增速",
)  # fmt: skip
# An output written as verb + object names the indicator of its noun: 全年生产原煤2.33亿吨 is 原煤产量 (an
# indicator named X + the measure is also found as the verb + X).
OUTPUT_VERBS: dict[str, tuple[str, ...]] = {"产量": ("生产",)}
# …and an indicator X量 written as the verb X right before an amount in its own unit: 累计发电350亿度 is 发电量
# (not 发电装机120万千瓦, a capacity).
_KWH = r"\d+(?:\.\d+)?\s*(?:亿|万)?(?:千瓦时|度)"
OUTPUT_AMOUNTS: dict[str, str] = {"发电量": _KWH, "用电量": _KWH}
# A measure that only names a share of a topic is not carried as an elliptical subject of its own.
ELLIPTICAL = ("总产量", "产量", "总产", "总产值", "产值", "单产", "出栏", "存栏", "出栏量", "存栏量")

# --------------------------------------------------------------------------------------------------------
# Projects: facts (investment, stage, progress) and name variants
# --------------------------------------------------------------------------------------------------------

# An approved budget is the investment too: 初步设计批复325亿元, 总概算….
INVESTMENT_LEADS = ("初步设计批复", "概算总投资", "投资概算", "总概算", "计划总投资", "预计总投资", "估算总投资",
                    "总投资额", "总投资", "投资总额", "计划投资", "拟投资", "项目投资", "协议投资",
                    "签约投资")  # fmt: skip
# 完成投资9.6亿元 is what was spent this year, not what the project costs.
INVESTMENT_NOT_AFTER = ("完成", "累计", "年度", "今年", "当年", "本年", "已", "占", "新增", "带动")
INVESTMENT_UNITS = ("亿美元", "万美元", "亿元", "万元")
# 10,000 of the first is one of the second: 总投资386000万元 is reported as 38.6亿元, so that amounts compare.
INVESTMENT_SCALE = {"万元": "亿元", "万美元": "亿美元"}
INVESTMENT_QUALIFIERS = ("约", "超过", "超", "达到", "达", "逾", "近", "为", "高达", "约为")
# The stages a project passes through, in order; later stages rank higher. Synonyms map to one stage.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("签约", ("签约", "签订投资协议", "签订协议", "签署投资协议", "落户", "合作协议签署", "协议签署", "签署合作协议",
              "签订合作协议")),
    ("开工", ("开工", "破土动工", "动工", "奠基", "开建", "开复工", "全线建设正式启动", "建设正式启动", "全面开工")),
    ("在建", ("在建", "加快建设", "施工", "主体完工", "主体工程完工", "主体建设", "设备安装", "安装", "封顶", "复工",
              "建设现场", "调试", "建设正酣", "火热建设", "紧张建设", "建设中", "吊装", "装修", "铺轨",
              "开挖", "铺筑", "加速推进", "贯通", "建设进度", "建设提速", "建设跑出", "建设全面提速", "建设加速",
              "加速建设", "不停工", "收尾", "尾声",
              "冲刺阶段", "建设如火如荼", "建设热火朝天", "加紧建设", "抓紧建设", "正在建设")),
    ("投产", ("投产", "竣工", "完工", "通车", "通航", "建成", "开通运营", "开通", "达产", "满产", "满负荷", "并网",
              "投运", "投入运营", "投入使用", "运营首月", "试产", "试生产", "产品下线", "安全稳定运行",
              "安全高效运行", "满载运行", "外送电量", "开行", "正在运转")),
)  # fmt: skip
# 主体已全部完工: finishing the shell of a building is a stage of construction, not the end of it (so is
# finishing some of the parts counted: 12个单体工程已完工9个).
SHELL_ONLY = ("主体", "基本")  # 主体已全部完工, 已基本完工: not the whole done
# …and so is finishing a part of a project: 互通桥建筑已建成, 站房已完工, 隧道贯通 (the part named after the project).
PARTS = ("互通", "桥", "隧道", "站房", "航站楼", "标段", "路基", "单体", "车站")
# A stage word inside one of these is not a stage: 企业开工率, 城市建成区.
# 施工难度大, 承建施工的 describe the work, not where it stands; 竣工验收, 联调联试, 试运行, 试飞/校飞 are checks before
# opening, which the labelled real reporting gives no stage.
STAGE_FALSE_FRIENDS = ("开工率", "建成区", "施工图", "施工许可", "开工手续", "施工单位", "开工条件", "调试阶段前",
                       "施工难度", "施工安全", "施工风险", "施工技术", "施工企业", "施工方", "承建施工", "承建",
                       "竣工验收", "联调联试", "试运行", "试飞", "校飞", "建设单位")  # fmt: skip
# 开工暨基础施工首基试点仪式: a ceremony is the start (开工), whatever other work its name mentions.
CEREMONIES = ("仪式", "典礼", "动员会", "动员大会")
# 开工仪式在低碳硅芯产业园区东立多晶硅项目现场举行: the event (before 在) is the stage of the project at the venue
# (the last one named there); the park it stands in did not start.
VENUE_VERBS = ("举行", "举办", "召开")
# A stage word right after one of these is a slogan (当年建设、当年投产) or a share of a total (建成率).
SLOGAN_BEFORE = ("当年", "当月", "即开工", "就投产")
# A stage word followed by one of these is a noun phrase that says what the stage does or when, not that it
# happened: 开工建设对…具有积极作用, 开通运营初期.
NOMINAL_AFTER = ("对", "初期")
# 线路…经由大西高铁与太原市贯通: a line described as joining another place, not construction.
ROUTE_BEFORE = ("与", "经由", "同")
ROUTE_WORDS = ("贯通", "连通", "相连")
# A stage counts only when the text says it happened: not planned, expected, conditional or "closer to".
NOT_HAPPENED_BEFORE = (
    "将", "计划", "预计", "力争", "争取", "确保", "拟", "有望", "即将", "准备", "筹备", "早日", "尽快", "年内",
    "年底前", "月底前", "规划", "目标", "距离", "迎接", "待", "推动", "促进", "力促", "若", "如果", "一旦", "尚未",
    "未能", "还没有", "没有", "未", "不能", "无法", "向", "冲刺", "争创", "以便", "谋划", "等待", "期待", "启动",
    "吸引",
)  # fmt: skip
# 立晶项目的投产将填补…空白: a stage followed by what it will bring is still to come.
NOT_HAPPENED_AFTER = ("后", "以后", "之后", "前", "之前", "在即", "倒计时", "条件", "准备", "手续", "目标", "时间表",
                      "节点", "计划", "将", "必将", "势必", "有望", "可望")  # fmt: skip
# …but 开工将近一年, 建成将满一年 count the time since it happened.
DURATION_AFTER = ("将近", "将满", "将有")
# 此前已建成的大张高铁、大西高铁与集大原高铁: a stage before 的 qualifies the noun after it, which must be the
# project itself (已建成的集大原高铁), not another one heading a list.
ATTRIBUTIVE = "的"
ATTRIBUTIVE_REACH = 3  # characters between the stage word and its 的: 建成投产的, 开工建设的
# …but 投产的同时 says it has happened (and 经集大原高铁开行的列车 that the line runs): 的 before one of these
# ends no attributive phrase.
NOT_ATTRIBUTIVE_AFTER = ("同时", "列车")
# …or after a link: 同日开工的还有东立…项目, 今年投产的有…
ATTRIBUTIVE_LINKS = ("", "还有", "有", "包括", "是", "为", "就是", "主要有", "主要是")
# …or shortly after it: 距离开通运营又近了一步, 投产在即.
NOT_HAPPENED_NEAR = ("在即", "倒计时", "又近", "更近", "迈进", "冲刺", "指日可待")
NEGATIONS = ("尚未", "还未", "未能", "没有", "未", "不")  # right before the stage word
# …also when one or two more words stand between: 建成贯通后, 建成投用后.
NOT_HAPPENED_LATER = ("后", "以后", "之后")
HAPPENED = ("已", "已经", "已于")  # 已于4月开工 although the clause also says 计划
# Progress: done of total counted tasks, in either order — 前期要件21项已办结17项 / 18个单体建筑已有11个主体封顶.
PROGRESS_VERBS = ("完成", "完工", "办结", "封顶", "开工", "建成", "获批", "批复", "取得", "投入使用", "投用", "投产",
                  "并网", "安装")  # fmt: skip
_COUNT = r"[\d零一二两三四五六七八九十百]+"
# What the counted parts are counted in: 8栋单体建筑中已有6栋…, 4台矿热炉中已有3台…
PROGRESS_UNITS = ("项", "个", "栋", "幢", "座", "台", "套", "处", "条", "所")
_DONE = "|".join(PROGRESS_VERBS)
_UNIT = "|".join(PROGRESS_UNITS)
PROGRESS = re.compile(
    rf"(?P<total>{_COUNT})(?P<unit>{_UNIT})[^，。；\d]{{0,12}}?(?:已经?|均已|已有|共)?(?:{_DONE})了?(?P<done>{_COUNT})(?P=unit)"
    rf"|(?P<total2>{_COUNT})(?P<unit2>{_UNIT})[^，。；\d]{{0,12}}?(?:(?:中|里)，?)?(?:已有|已经?|其中)(?P<done2>{_COUNT})(?P=unit2)"
    rf"[^，。；\d]{{0,6}}?(?:{_DONE})"
)
# …or done parts named in a list: 3座车站中，山阴南站、应县西站已完成主体施工 (2 of 3).
_MEMBER = r"[^，。；、和与及\d]{2,10}"
LISTED_PROGRESS = re.compile(
    rf"(?P<total>{_COUNT})(?:{_UNIT})[^，。；\d]{{0,12}}?(?:中|里)，?(?P<list>{_MEMBER}(?:[、和与及]{_MEMBER})+)"
    rf"(?:均|都)?(?:已经?|均已)(?:{_DONE})"
)
LIST_SPLIT = re.compile(r"[、和与及]")

# Generic words in project names: not part of what identifies the project.
# Kinds of plant are generic too: 平朔安太堡露天煤矿 shares 露天煤矿 with 平朔安家岭露天煤矿 and is another mine.
PROJECT_GENERIC = ("项目", "朔州", "山西", "集团", "及配套", "有限公司", "一期", "二期", "工程", "露天煤矿", "露天矿",
                   "煤矿")  # fmt: skip
NAME_PLACES = ("朔州市", "朔州", "山西省", "山西")
# Nouns a phrase naming a project ends with: its own 项目, or the plant a description names.
PROJECT_HEADS = ("项目", "工程", "生产基地", "产业基地", "基地", "工厂", "车间", "生产线", "产业园")
# Synonyms the paper uses inside project names; the first of each row is the canonical form.
NAME_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("煤基", "煤制"),
    ("高纯", "高纯度"),
    ("铬合金", "铬基合金"),
    ("高速铁路", "高铁"),
    ("职业技术学院", "职业学院", "职院"),
)
# A line is named by the first character of each place it joins: 集宁经大同至原平高铁 and 集(集宁)大(大同)原(原平)高铁
# are 集大原高铁, 朔(城)神(池)高速 is 朔神高速. Places are joined by these; the glosses stand in brackets.
ROUTE_JOINS = ("经", "至", "—", "–")
LINE_KINDS = ("高速铁路", "高铁", "铁路", "高速公路", "高速", "客运专线", "城际铁路")
# Qualifiers written inside a place's project name: 应县通用机场 for a watch named 应县机场.
NAME_QUALIFIERS = ("通用", "民用", "支线", "国际", "综合")
# Qualifiers a name is also written without: 煤基烯烃项目 for 煤基烯烃一体化项目.
OPTIONAL_IN_NAMES = ("一体化",)
# Specifications inside a name (±800千伏, 2×100万千瓦, 20万吨) are qualifiers the paper adds or drops: a variant's
# core is compared without them.
NAME_SPEC = r"[±]?\d+(?:\.\d+)?(?:[×xX]\d+(?:\.\d+)?)?(?:千伏|万千瓦|千瓦|兆瓦|MW|GW|万吨|吨)?"
# Lines are also called by their name and 线: 集大原高铁 → 集大原线.
LINE_TYPES = ("高速铁路", "高铁", "铁路", "高速公路", "公路")
LINE_SHORT = "线"
# Words that point back at a project already named: 这一总投资287亿元的煤制烯烃项目.
DEMONSTRATIVES = ("这一", "这个", "这座", "该", "此")
# Company suffixes between a company name and 等…项目: 三一集团等项目.
COMPANY_SUFFIXES = ("集团公司", "集团", "股份", "有限公司", "公司", "企业")
# First words of project names that are no company: "能源等项目" does not name 朔州能源职业技术学院.
NOT_COMPANIES = (
    "能源", "交通", "水利", "城市", "综合", "现代", "绿色", "智能", "国家", "高速", "新能", "光伏", "煤炭", "电力",
    "文化", "旅游", "生态", "乡村", "农业", "工业", "数字", "低碳", "职业", "中心",
)  # fmt: skip


def alternation(words: tuple[str, ...] | list[str] | dict[str, int]) -> str:
    """A regex alternation of literal words, longest first so 增长幅度 wins over 增长."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
