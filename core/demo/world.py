"""The demo world: a paper-industry market. Plain data; core/demo/builder.py puts it in the database.

Company roles: "seller" sells, "buyer" buys, "both" does both. `volume` is a buyer's target
purchases over the past 12 months (CNY), chosen so every credit tier has members.
"""

CATEGORIES = [
    ("pulp", "纸浆", "Pulp", [
        ("softwood-pulp", "针叶木浆", "Softwood pulp"),
        ("hardwood-pulp", "阔叶木浆", "Hardwood pulp"),
        ("non-wood-pulp", "非木浆", "Non-wood pulp"),
    ]),
    ("recovered-paper", "废纸", "Recovered paper", [
        ("occ", "废旧黄板纸", "Old corrugated containers"),
        ("old-newspaper", "废旧书报纸", "Old newspapers"),
        ("mixed-waste", "混合废纸", "Mixed waste paper"),
    ]),
    ("printing-paper", "印刷书写纸", "Printing & writing paper", [
        ("woodfree", "双胶纸", "Woodfree offset paper"),
        ("coated", "铜版纸", "Coated art paper"),
        ("newsprint", "新闻纸", "Newsprint"),
    ]),
    ("packaging-board", "包装纸板", "Packaging board", [
        ("ivory-board", "白卡纸", "Ivory board"),
        ("duplex-board", "白板纸", "Duplex board"),
        ("linerboard", "箱板纸", "Linerboard"),
        ("corrugating-medium", "瓦楞原纸", "Corrugating medium"),
    ]),
    ("tissue", "生活用纸", "Tissue", [
        ("parent-reel", "生活用纸原纸", "Tissue parent reels"),
        ("toilet-tissue", "卫生纸", "Toilet tissue"),
        ("facial-tissue", "面巾纸", "Facial tissue"),
    ]),
    ("specialty-paper", "特种纸", "Specialty paper", [
        ("glassine", "格拉辛纸", "Glassine"),
        ("thermal", "热敏纸", "Thermal paper"),
        ("decor-paper", "装饰原纸", "Decor paper"),
    ]),
    ("chemicals", "造纸化学品", "Papermaking chemicals", [
        ("sizing", "施胶剂", "Sizing agents"),
        ("retention-aids", "助留助滤剂", "Retention aids"),
        ("starch", "淀粉", "Starch"),
    ]),
    ("equipment-parts", "设备配件", "Equipment & parts", [
        ("felts", "造纸毛毯", "Press felts"),
        ("forming-fabrics", "成形网", "Forming fabrics"),
        ("doctor-blades", "刮刀", "Doctor blades"),
    ]),
]

# (slug, name, province, city, role, years on platform, registered capital (万元), legal rep, volume)
COMPANIES = [
    ("lufeng-paper", "山东鲁丰纸业有限公司", "山东省", "潍坊", "seller", 7, 50000, "张国栋", 0),
    ("yuexing-paper", "广东粤兴纸业集团有限公司", "广东省", "东莞", "seller", 6, 80000, "黄志明", 0),
    ("qianjiang-special", "浙江钱江特种纸有限公司", "浙江省", "杭州", "seller", 5, 12000, "沈建华", 0),
    ("minlin-pulp", "福建闽林浆纸有限公司", "福建省", "南平", "seller", 8, 60000, "林海峰", 0),
    ("guitang-pulp", "广西桂糖浆纸有限公司", "广西壮族自治区", "南宁", "seller", 4, 30000, "韦建国", 0),
    ("jizhong-recycle", "河北冀中再生资源有限公司", "河北省", "保定", "seller", 3, 5000, "刘振江", 0),
    ("shenlian-chem", "上海申联化工助剂有限公司", "上海市", "上海市", "seller", 6, 8000, "周立新", 0),
    ("dongting-machinery", "湖南洞庭造纸装备有限公司", "湖南省", "岳阳", "seller", 5, 10000, "彭志强", 0),
    ("wanshan-tissue", "安徽皖山生活用纸有限公司", "安徽省", "芜湖", "seller", 4, 15000, "汪德胜", 0),
    ("rizhao-board", "日照港湾纸板有限公司", "山东省", "日照", "seller", 2, 20000, "孙立平", 0),
    ("dongfang-pack", "上海东方包装制品有限公司", "上海市", "上海市", "buyer", 8, 20000, "陈德明", 6_200_000),
    ("pengcheng-print", "深圳鹏城彩印包装有限公司", "广东省", "深圳", "buyer", 6, 10000, "李文博", 2_600_000),
    ("jinghua-print", "北京京华印务有限公司", "北京市", "北京市", "buyer", 7, 5000, "王建军", 1_100_000),
    ("hengfeng-carton", "东莞恒丰纸箱有限公司", "广东省", "东莞", "buyer", 5, 3000, "何永康", 650_000),
    ("wuzhong-pack", "苏州吴中包装材料有限公司", "江苏省", "苏州", "buyer", 4, 2000, "吴晓东", 420_000),
    ("jingang-carton", "天津津港纸箱厂有限公司", "天津市", "天津市", "buyer", 6, 1500, "赵春生", 260_000),
    ("chutian-print", "武汉楚天彩印有限公司", "湖北省", "武汉", "buyer", 3, 1200, "胡建平", 150_000),
    ("shujin-pack", "成都蜀锦包装有限公司", "四川省", "成都", "buyer", 3, 1000, "杨光荣", 90_000),
    ("haiwan-print", "青岛海湾印刷有限公司", "山东省", "青岛", "buyer", 2, 800, "于海涛", 60_000),
    ("zhongyuan-paper", "郑州中原纸制品有限公司", "河南省", "郑州", "buyer", 2, 600, "郭建设", 35_000),
    ("qinchuan-print", "西安秦川印业有限公司", "陕西省", "西安", "buyer", 1, 500, "马卫东", 18_000),
    ("jinling-pack", "南京金陵包装有限公司", "江苏省", "南京", "buyer", 1, 300, "朱明", 6_000),
    ("ludao-paper", "厦门鹭岛纸品有限公司", "福建省", "厦门", "buyer", 1, 200, "蔡志远", 3_000),
    ("xihu-stationery", "杭州西湖文化用品有限公司", "浙江省", "杭州", "buyer", 2, 500, "钱晓峰", 28_000),
    ("yuzhou-print", "重庆渝州印刷有限公司", "重庆市", "重庆市", "buyer", 4, 2500, "冉茂林", 300_000),
    ("yongshang-trade", "宁波甬商纸业贸易有限公司", "浙江省", "宁波", "both", 5, 5000, "应国平", 900_000),
    ("suihe-trade", "广州穗和纸业贸易有限公司", "广东省", "广州", "both", 4, 3000, "梁家辉", 480_000),
    ("jiaxing-supply", "嘉兴禾丰纸业供应链有限公司", "浙江省", "嘉兴", "both", 3, 2000, "沈玉良", 210_000),
    ("xinyuan-startup", "杭州新源纸品有限公司", "浙江省", "杭州", "pending", 0, 100, "方晓", 0),
    ("changsha-newco", "长沙湘印包装有限公司", "湖南省", "长沙", "pending", 0, 200, "罗建", 0),
    ("hefei-rejected", "合肥庐阳纸业有限公司", "安徽省", "合肥", "rejected", 0, 100, "唐亮", 0),
]

# After a year of trading, customer service froze one buyer's account (stolen password) and
# another buyer asked to change its name.
FROZEN = "ludao-paper"
CHANGE_PENDING = "haiwan-print"

# Per seller: (category slug, title, unit, price, min order, attributes, [(tier quantity, tier price)])
PRODUCTS = {
    "lufeng-paper": [
        ("woodfree", "鲁丰 70g 双胶纸 高白 787mm", "ton", "5650.00", "5", {"品牌": "鲁丰", "克重": "70g/㎡", "幅宽": "787mm", "白度": "≥96%"}, [("20", "5550.00"), ("50", "5450.00")]),
        ("coated", "鲁丰 157g 铜版纸 双面 889×1194", "ton", "5980.00", "5", {"品牌": "鲁丰", "克重": "157g/㎡", "规格": "889×1194mm", "光泽度": "≥75%"}, [("30", "5850.00")]),
        ("ivory-board", "鲁丰 250g 白卡纸 FBB 单面涂布", "ton", "4850.00", "10", {"品牌": "鲁丰", "克重": "250g/㎡", "等级": "A级", "用途": "烟包/药盒"}, [("30", "4750.00"), ("100", "4650.00")]),
        ("ivory-board", "鲁丰 300g 白卡纸 高松厚", "ton", "4920.00", "10", {"品牌": "鲁丰", "克重": "300g/㎡", "等级": "A级"}, []),
        ("newsprint", "鲁丰 45g 新闻纸 卷筒", "ton", "4300.00", "10", {"品牌": "鲁丰", "克重": "45g/㎡", "形态": "卷筒"}, [("50", "4200.00")]),
    ],
    "yuexing-paper": [
        ("linerboard", "粤兴 170g 牛卡箱板纸 A级", "ton", "3680.00", "10", {"品牌": "粤兴", "克重": "170g/㎡", "等级": "A级", "环压指数": "≥8.0"}, [("50", "3580.00"), ("200", "3480.00")]),
        ("corrugating-medium", "粤兴 120g 高强瓦楞原纸", "ton", "3150.00", "10", {"品牌": "粤兴", "克重": "120g/㎡", "等级": "AA级"}, [("50", "3080.00")]),
        ("duplex-board", "粤兴 300g 灰底白板纸", "ton", "3920.00", "10", {"品牌": "粤兴", "克重": "300g/㎡", "底色": "灰底"}, [("50", "3850.00")]),
        ("linerboard", "粤兴 230g 白面牛卡纸", "ton", "4100.00", "10", {"品牌": "粤兴", "克重": "230g/㎡", "面层": "白面"}, []),
    ],
    "qianjiang-special": [
        ("glassine", "钱江 60g 格拉辛纸 离型原纸", "ton", "12200.00", "2", {"品牌": "钱江", "克重": "60g/㎡", "颜色": "白色"}, [("10", "11900.00")]),
        ("thermal", "钱江 55g 热敏纸 三防", "ton", "11600.00", "2", {"品牌": "钱江", "克重": "55g/㎡", "特性": "防水防油防刮"}, [("10", "11300.00")]),
        ("decor-paper", "钱江 80g 装饰原纸 钛白", "ton", "15800.00", "2", {"品牌": "钱江", "克重": "80g/㎡", "灰分": "≥30%"}, []),
    ],
    "minlin-pulp": [
        ("softwood-pulp", "闽林 针叶木浆 漂白 (NBSK)", "ton", "5820.00", "50", {"品牌": "闽林", "白度": "≥88%", "包装": "250kg/包"}, [("200", "5700.00"), ("500", "5620.00")]),
        ("hardwood-pulp", "闽林 阔叶木浆 漂白 桉木", "ton", "4620.00", "50", {"品牌": "闽林", "白度": "≥88%", "树种": "桉木"}, [("200", "4520.00")]),
    ],
    "guitang-pulp": [
        ("non-wood-pulp", "桂糖 漂白蔗渣浆", "ton", "3920.00", "50", {"品牌": "桂糖", "原料": "甘蔗渣", "白度": "≥85%"}, [("200", "3850.00")]),
        ("parent-reel", "桂糖 竹蔗混合生活用纸原纸 15g", "ton", "6500.00", "10", {"品牌": "桂糖", "克重": "15g/㎡", "原料": "竹浆+蔗渣浆"}, []),
    ],
    "jizhong-recycle": [
        ("occ", "国废 黄板纸 (OCC) 一级", "ton", "1650.00", "20", {"等级": "一级", "水分": "≤12%", "杂质": "≤1%"}, [("100", "1620.00")]),
        ("old-newspaper", "废旧书报纸 打包", "ton", "1880.00", "20", {"等级": "一级", "包装": "打包"}, []),
        ("mixed-waste", "混合废纸 统货", "ton", "1350.00", "20", {"等级": "统货"}, []),
    ],
    "shenlian-chem": [
        ("sizing", "申联 AKD 中性施胶剂 乳液", "ton", "8600.00", "1", {"品牌": "申联", "固含量": "15%", "包装": "1吨IBC桶"}, [("10", "8350.00")]),
        ("retention-aids", "申联 阳离子聚丙烯酰胺 (CPAM)", "ton", "16200.00", "1", {"品牌": "申联", "离子度": "30%", "分子量": "1000万"}, []),
        ("starch", "申联 阳离子淀粉 造纸专用", "ton", "4300.00", "5", {"品牌": "申联", "取代度": "0.035"}, [("20", "4200.00")]),
    ],
    "dongting-machinery": [
        ("felts", "洞庭 压榨毛毯 3600 纸机用", "piece", "28500.00", "1", {"品牌": "洞庭", "适用纸机": "3600mm", "克重": "1350g/㎡"}, []),
        ("forming-fabrics", "洞庭 2.5层 成形网", "piece", "46000.00", "1", {"品牌": "洞庭", "结构": "2.5层"}, []),
        ("doctor-blades", "洞庭 碳纤维刮刀 4000mm", "piece", "650.00", "10", {"品牌": "洞庭", "材质": "碳纤维", "长度": "4000mm"}, [("50", "600.00")]),
    ],
    "wanshan-tissue": [
        ("toilet-tissue", "皖山 卷筒卫生纸 4层 10卷×10提", "case", "128.00", "50", {"品牌": "皖山", "层数": "4层", "规格": "10卷×10提/箱"}, [("200", "122.00"), ("1000", "116.00")]),
        ("facial-tissue", "皖山 抽取式面巾纸 3层 24包", "case", "86.00", "50", {"品牌": "皖山", "层数": "3层", "规格": "24包/箱"}, [("200", "82.00")]),
        ("parent-reel", "皖山 木浆生活用纸原纸 13.5g", "ton", "6900.00", "10", {"品牌": "皖山", "克重": "13.5g/㎡", "原料": "原生木浆"}, []),
    ],
    "rizhao-board": [
        ("ivory-board", "港湾 230g 白卡纸 食品级", "ton", "5150.00", "10", {"品牌": "港湾", "克重": "230g/㎡", "认证": "食品级QS"}, [("50", "5020.00")]),
        ("corrugating-medium", "港湾 100g 瓦楞原纸", "ton", "3020.00", "10", {"品牌": "港湾", "克重": "100g/㎡"}, []),
    ],
    "yongshang-trade": [
        ("coated", "进口 128g 铜版纸 (代理)", "ton", "6250.00", "5", {"产地": "印度尼西亚", "克重": "128g/㎡"}, []),
        ("woodfree", "甬商 80g 双胶纸 令装", "ream", "185.00", "20", {"克重": "80g/㎡", "规格": "787×1092mm", "包装": "500张/令"}, [("200", "178.00")]),
    ],
    "suihe-trade": [
        ("linerboard", "穗和 140g 再生箱板纸", "ton", "3350.00", "10", {"克重": "140g/㎡", "原料": "再生浆"}, []),
    ],
    "jiaxing-supply": [
        ("duplex-board", "禾丰 350g 白底白板纸", "ton", "4350.00", "10", {"克重": "350g/㎡", "底色": "白底"}, []),
    ],
}

# What each kind of buyer buys (category slugs), so purchase histories look like real trades.
BUYER_BASKETS = {
    "dongfang-pack": ["ivory-board", "linerboard", "corrugating-medium", "duplex-board", "sizing"],
    "pengcheng-print": ["coated", "ivory-board", "woodfree", "thermal"],
    "jinghua-print": ["woodfree", "coated", "newsprint"],
    "hengfeng-carton": ["linerboard", "corrugating-medium", "starch"],
    "wuzhong-pack": ["duplex-board", "ivory-board", "glassine"],
    "jingang-carton": ["linerboard", "corrugating-medium"],
    "chutian-print": ["coated", "woodfree"],
    "shujin-pack": ["duplex-board", "corrugating-medium"],
    "haiwan-print": ["woodfree", "newsprint"],
    "zhongyuan-paper": ["toilet-tissue", "facial-tissue"],
    "qinchuan-print": ["woodfree"],
    "jinling-pack": ["woodfree"],
    "ludao-paper": ["facial-tissue"],
    "xihu-stationery": ["woodfree", "thermal"],
    "yuzhou-print": ["coated", "woodfree", "doctor-blades"],
    "yongshang-trade": ["coated", "woodfree", "softwood-pulp"],
    "suihe-trade": ["linerboard", "occ"],
    "jiaxing-supply": ["duplex-board", "occ", "hardwood-pulp"],
}

SUB_ACCOUNTS = {
    # company slug: [(local part, name, job title, permissions)]
    "dongfang-pack": [
        ("buyer", "采购员 周婷", "采购专员", ["purchasing", "messaging"]),
        ("finance", "财务 郑红", "出纳", ["finance", "reports"]),
    ],
    "lufeng-paper": [
        ("sales", "销售 高峰", "销售经理", ["products", "fulfilment", "messaging"]),
    ],
    "pengcheng-print": [
        ("buyer", "采购员 许强", "采购主管", ["purchasing"]),
    ],
}

# Structured attributes per root category (inherited by its children): (name, kind, unit, choices).
CATEGORY_ATTRIBUTES = {
    "printing-paper": [("克重", "number", "g/㎡", []), ("品牌", "text", "", [])],
    "packaging-board": [("克重", "number", "g/㎡", []), ("等级", "choice", "", ["AA级", "A级", "B级"]),
                        ("品牌", "text", "", [])],
    "tissue": [("克重", "number", "g/㎡", []), ("层数", "text", "", []), ("品牌", "text", "", [])],
    "specialty-paper": [("克重", "number", "g/㎡", []), ("品牌", "text", "", [])],
    "pulp": [("白度", "text", "", []), ("品牌", "text", "", [])],
    "recovered-paper": [("等级", "choice", "", ["一级", "二级", "统货"])],
    "chemicals": [("品牌", "text", "", [])],
    "equipment-parts": [("品牌", "text", "", [])],
}

# Each listing above also comes in other grammages (paper and board) or packings (the rest), so
# the storefront holds a few hundred listings: (grammage factor, price factor) and packing names.
GRAMMAGE_VARIANTS = [(0.7, 0.96), (0.75, 0.965), (0.8, 0.97), (0.9, 0.985), (1.1, 1.015), (1.2, 1.03), (1.3, 1.045), (1.4, 1.06), (1.6, 1.09), (1.8, 1.12), (2.0, 1.15)]
PACKING_VARIANTS = [("散装", 0.98), ("吨袋装", 1.0), ("托盘装", 1.02), ("加急现货", 1.05), ("年度合约价", 0.96), ("小批量试单", 1.08), ("厂家直发", 0.99)]

# --- live trading: what the order, staff and major-client pages show right after seed_demo ------

# The demo buyer (main@ and buyer@dongfang-pack) and its orders in every state, each found again
# by the marker "演示订单 #<n>：" at the start of the buyer's note. core/demo/trading.py drives each
# one through the real services to its state, in this order (the completed one is completed by the
# after-sale job before any later one is signed for). (n, seller slug, state, about how much in CNY
# (whole units, at least the minimum order), buyer's note)
DEMO_BUYER = "dongfang-pack"
DEMO_PURCHASE_APPROVAL_LIMIT = "20000.00"
LIVE_ORDERS = [
    (1, "lufeng-paper", "awaiting_approval", 48000, "下月烟包订单备料，超出本人审批限额，请主账号审批。"),
    (2, "lufeng-paper", "pending_payment", 30000, "请按A级标准发货，卷筒内径76mm，外包装防潮。"),
    (3, "yongshang-trade", "transfer_recorded", 18000, "货款已对公转账，附言已填写汇款识别码，请财务核对。"),
    (4, "lufeng-paper", "transfer_mismatch", 26000, "本单货款由集团财务代付，付款户名为集团公司。"),
    (5, "lufeng-paper", "paid", 28000, "已付款，请尽快安排发货，送货前一天电话联系仓库。"),
    (6, "lufeng-paper", "shipped", 52000, "请发顺丰，到货前电话联系仓库收货员。"),
    (7, "lufeng-paper", "completed", 45000, "月度常规补货，随货附质检报告。"),
    (8, "yongshang-trade", "received", 15000, "请随货附送货单，我司凭送货单入库。"),
    (9, "yongshang-trade", "cancelled", 9000, "试单，如规格合适下月加量。"),
    (10, "lufeng-paper", "refund_requested", 31000, "急单，请优先排产。"),
    (11, "yongshang-trade", "refund_approved", 12000, "配合新品打样使用。"),
    (12, "lufeng-paper", "return_shipped", 27000, "卷筒请立放，注意防潮。"),
    (13, "lufeng-paper", "dispute_mediation", 56000, "用于出口烟包，请严格按A级标准检验。"),
    (14, "lufeng-paper", "on_account", 150000, "本单使用账期付款。"),
]

# Credit (账期): the demo buyer applies for and is granted a line; another Platinum client's
# application waits for finance; a Gold client buys on account and falls behind with its payments.
# (slug, requested limit, term days, purpose)
CREDIT_LINE_APPLICATIONS = [
    ("dongfang-pack", "600000.00", 60, "年度框架采购白卡纸、箱板纸，按月结算，申请60天账期。"),
    ("jinghua-print", "150000.00", 30, "教辅印刷旺季备纸，申请30天账期。"),
]
PENDING_CREDIT_APPLICATION = ("pengcheng-print", "400000.00", 60,
                              "中秋、春节礼盒包装旺季备货，铜版纸与白卡纸用量翻倍，申请60天账期。")
# The Gold client's on-account orders whose receivables are overdue: (n, seller, about how much in
# CNY, days overdue, buyer's note).
OVERDUE_CLIENT = "jinghua-print"
OVERDUE_ORDERS = [
    (21, "lufeng-paper", 40000, 45, "秋季教材用纸，账期付款。"),
    (22, "lufeng-paper", 30000, 12, "期刊印刷用纸，账期付款。"),
]

# --- debt resolution: obligations, clearing runs and cases (core/demo/debts.py) ----------------

# The obligations registry (债务登记): the creditor registers, the debtor answers. Each is found
# again by its creditor and reference. (reference, debtor slug, creditor slug, amount in CNY, due
# in days from today (negative: overdue), what it is for, the debtor's answer: "confirm",
# "pending" (not answered yet) or "dispute"). Debt runs in rings, as 三角债 does: 鲁丰 → 甬商 →
# 东方包装 → 鲁丰 (debtor → creditor), a five-company ring around the Pearl River and Yangtze
# deltas, and a trap for greedy clearing (A→B, B→A, B→C, C→A, all 100,000: cancelling the pair
# A↔B first sets off 200,000, the ring A→B→C→A sets off 300,000). The first clearing run sets off
# what the confirmed ones allow and is applied.
DEBT_OBLIGATIONS = [
    ("YS-DL-2026-0815", "lufeng-paper", "yongshang-trade", "320000.00", -40, "代理进口针叶木浆货款（8月到港批次）", "confirm"),
    ("DF-BZ-2026-0902", "yongshang-trade", "dongfang-pack", "260000.00", -30, "出口纸箱及内衬包装加工费", "confirm"),
    ("LF-XS-2026-0917", "dongfang-pack", "lufeng-paper", "410000.00", -20, "250g 白卡纸货款（9月批次）", "confirm"),
    ("YX-XS-2026-0623", "hengfeng-carton", "yuexing-paper", "240000.00", -60, "170g 牛卡箱板纸货款", "confirm"),
    ("JZ-FZ-2026-0704", "yuexing-paper", "jizhong-recycle", "180000.00", -50, "国废黄板纸（OCC）货款", "confirm"),
    ("DT-SB-2026-0711", "jizhong-recycle", "dongting-machinery", "150000.00", -45, "废纸打包机及配件款", "confirm"),
    ("WZ-BZ-2026-0725", "dongting-machinery", "wuzhong-pack", "130000.00", -35, "设备出口木箱及包装材料款", "confirm"),
    ("HF-WX-2026-0801", "wuzhong-pack", "hengfeng-carton", "160000.00", -25, "纸箱外协加工费", "confirm"),
    ("SH-XS-2026-0312", "jingang-carton", "suihe-trade", "100000.00", -90, "再生箱板纸货款", "confirm"),
    ("JG-JG-2026-0406", "suihe-trade", "jingang-carton", "100000.00", -80, "纸箱代加工费", "confirm"),
    ("GT-XS-2026-0518", "suihe-trade", "guitang-pulp", "100000.00", -70, "漂白蔗渣浆货款", "confirm"),
    ("JG-ZX-2026-0602", "guitang-pulp", "jingang-carton", "100000.00", -65, "浆包外包装纸箱款", "confirm"),
    ("YS-XS-2026-0822", "chutian-print", "yongshang-trade", "45000.00", -15, "80g 双胶纸货款", "confirm"),
    ("LF-BC-2026-1015", "dongfang-pack", "lufeng-paper", "58000.00", 20, "白卡纸10月调价补差", "pending"),
    ("YS-XS-2026-0930", "pengcheng-print", "yongshang-trade", "95000.00", -5, "进口128g铜版纸货款（9月30日批次）", "dispute"),
]
# The debtor's objection to the disputed obligation above, with its evidence: (reference, reason,
# evidence title, evidence lines, evidence note).
DEBT_DISPUTE = (
    "YS-XS-2026-0930",
    "对账金额不符：9月30日批次中12吨铜版纸到货受潮起皱，已于9月28日办理退货（退货单 TH-20260928），"
    "对应货款约7.5万元未扣减。请更正金额后重新登记。",
    "退货单（演示）",
    ["退货单号：TH-20260928", "退货单位：深圳鹏城彩印包装有限公司", "收货单位：宁波甬商纸业贸易有限公司",
     "品名：进口 128g 铜版纸", "数量：12 吨", "退货原因：到货受潮起皱，无法上机印刷"],
    "甬商仓库已签收的退货单",
)
# Registered and confirmed after the first run was applied: a ring through 东方包装 that the
# second run finds. Every company but 东方包装 has confirmed its part; 东方包装's waits for the
# demo login.
SECOND_RUN_OBLIGATIONS = [
    ("YX-XS-2026-1102", "dongfang-pack", "yuexing-paper", "180000.00", 25, "箱板纸、瓦楞原纸货款（10月）", "confirm"),
    ("SH-DL-2026-1105", "yuexing-paper", "suihe-trade", "150000.00", 30, "代理进口美废（OCC）货款", "confirm"),
    ("DF-LH-2026-1108", "suihe-trade", "dongfang-pack", "120000.00", 35, "中秋礼盒包装加工费", "confirm"),
]
SECOND_RUN_PENDING = "dongfang-pack"

# Debt cases (债务化解), each found again by the marker "演示案件 #<n>：" at the start of its
# description. Claims: (counterparty slug, its role, amount, due in days from today).
# The first is submitted, taken by legal, planned (instalments for one debtor, the platform's
# guarantee for the other) and in negotiation, confirmed so far by the applicant only.
NEGOTIATION_CASE = {
    "number": 1, "applicant": "lufeng-paper", "outcome": "instalments",
    "description": "京华印务、楚天彩印两家印刷厂的纸款均已逾期，多次催收未果。两家表示经营正常、愿意还款，"
                   "但旺季备纸占用资金，希望分期。请平台协调还款方案，必要时由平台提供担保。",
    "claims": [("jinghua-print", "debtor", "86000.00", -40), ("chutian-print", "debtor", "45000.00", -25)],
    "plan": "一、京华印务欠款 86,000 元分四期按月偿还，首期于两周后到期。\n"
            "二、楚天彩印欠款 45,000 元于到期日一次性偿还，平台为其提供 40,000 元履约担保（费率 1.5%）。\n"
            "三、任何一期逾期超过 30 天，鲁丰纸业有权就全部未还金额申请平台代偿或诉讼。",
    "instalments": {"claim": 0, "total": "86000.00", "count": 4, "first_due_in": 14},
    "guarantee": {"claim": 1, "limit": "40000.00", "fee_rate": "1.5", "note": "平台为楚天彩印的还款提供履约担保"},
    "confirmed_by": ["lufeng-paper"],
}
# The second has its plan confirmed by both parties and is executing: three monthly instalments
# (the first paid, the second overdue) and part of the debt settled with the debtor's waste paper,
# ordered by the creditor. Goods: the debtor's first listing in the category (stock topped up when
# short), the quantity and the agreed unit value.
EXECUTION_CASE = {
    "number": 2, "applicant": "jiaxing-supply", "outcome": "debt_for_goods",
    "description": "我司于今年6月向冀中再生预付国废黄板纸货款 200,000 元，冀中再生因打包设备故障未能按期供货，"
                   "预付款至今未退。对方同意部分以废纸抵债、其余分期退还。",
    "claims": [("jizhong-recycle", "debtor", "200000.00", -75)],
    "plan": "一、冀中再生以一级国废黄板纸 50 吨抵债，按每吨 1,600 元作价 80,000 元，由禾丰纸业下单提货。\n"
            "二、其余 120,000 元分三期按月退还，每期 40,000 元。",
    "instalments": {"claim": 0, "total": "120000.00", "count": 3},
    "goods": {"claim": 0, "category": "occ", "quantity": "50", "unit_value": "1600.00"},
    "confirmed_by": ["jiaxing-supply", "jizhong-recycle"],
}

# --- barter (core/demo/bartering.py) -----------------------------------------------------------

# Barter profiles: (slug, cash limit, note).
BARTER_PROFILES = [
    ("dongfang-pack", "100000.00", "差额可对公转账结算"),
    ("suihe-trade", "30000.00", ""),
    ("jiaxing-supply", "30000.00", ""),
    ("yongshang-trade", "50000.00", "差额月结"),
    ("minlin-pulp", "80000.00", ""),
    ("wanshan-tissue", "20000.00", ""),
    ("dongting-machinery", "0.00", "只接受以货易货"),
]
# Haves, each found again by the marker "演示易货 #<n>：" at the start of its note: (n, slug,
# category slug, free-form title (None: the company's first listing in that category in PRODUCTS,
# whose stock the seller tops up first when short), unit (free-form only), quantity, unit value,
# note).
# 东方包装's lot of board left over from a cancelled order is taken by three traders, each giving
# back what 东方包装 buys; a pulp mill, a tissue maker and an equipment maker trade in a ring.
BARTER_LOT = 1
BARTER_HAVES = [
    (1, "dongfang-pack", "ivory-board", "库存 250g 白卡纸（客户订单取消积压）", "吨", "120", "4600.00",
     "上海仓现货，整批或分批易货均可"),
    (2, "suihe-trade", "linerboard", None, "", "60", "3220.00", "广州仓现货"),
    (3, "jiaxing-supply", "duplex-board", None, "", "60", "4140.00", "嘉兴仓现货"),
    (4, "yongshang-trade", "coated", None, "", "40", "5980.00", "宁波保税仓"),
    (5, "minlin-pulp", "hardwood-pulp", None, "", "100", "4500.00", "南平厂区自提"),
    (6, "wanshan-tissue", "toilet-tissue", None, "", "600", "120.00", "可作员工福利"),
    (7, "dongting-machinery", "felts", None, "", "4", "27000.00", "含上门安装指导"),
]
# Wants: (n, slug, category slug, title, quantity, budget, highest unit value, note). Budgets are
# what the matched goods are worth, so every company gives as much as it gets and the deals need
# no cash.
BARTER_WANTS = [
    (11, "dongfang-pack", "linerboard", "箱板纸（外箱用）", "40", "128800.00", "3300.00", "用于外箱"),
    (12, "dongfang-pack", "duplex-board", "白板纸（内盒用）", "40", "165600.00", "4200.00", "用于内盒"),
    (13, "dongfang-pack", "coated", "铜版纸（礼盒裱面用）", "30", "179400.00", "6000.00", "礼盒裱面"),
    (14, "suihe-trade", "ivory-board", "白卡纸 250g", "28", "128800.00", "4700.00", "转售华南客户"),
    (15, "jiaxing-supply", "ivory-board", "白卡纸 250g", "36", "165600.00", "4700.00", "供嘉兴药盒厂"),
    (16, "yongshang-trade", "ivory-board", "白卡纸 250g", "39", "179400.00", "4700.00", "出口订单备货"),
    (17, "wanshan-tissue", "hardwood-pulp", "漂白阔叶木浆", "12", "54000.00", "4600.00", "生活用纸配浆"),
    (18, "dongting-machinery", "toilet-tissue", "卷筒卫生纸（员工福利）", "450", "54000.00", "125.00", "年底员工福利"),
    (19, "minlin-pulp", "felts", "浆板机压榨毛毯", "2", "54000.00", "28500.00", "浆板机年度检修"),
]
# A want the three-company ring fills.
BARTER_RING = 17
# Who confirms which deal (a deal found by a want it fills), in order; a deal everyone confirms
# executes as orders. (want n, [slugs]). The ring executes, as does 禾丰's part of the lot; 穗和's
# part waits for 东方包装; 甬商's is not answered yet.
BARTER_ANSWERS = [
    (17, ["minlin-pulp", "wanshan-tissue", "dongting-machinery"]),
    (15, ["jiaxing-supply", "dongfang-pack"]),
    (14, ["suihe-trade"]),
]
