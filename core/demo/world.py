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
