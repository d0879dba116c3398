"""Demo logins, shared by seed_demo, `make run`'s banner and the README. No Django imports here."""

DEMO_PASSWORD = "Demo@2026!"

STAFF = [
    ("admin@platform.example.cn", "平台管理员 王磊", "administrator"),
    ("reviewer@platform.example.cn", "审核员 李娜", "reviewer"),
    ("service@platform.example.cn", "客服 陈静", "customer_service"),
    ("finance@platform.example.cn", "财务 刘洋", "finance"),
    ("manager@platform.example.cn", "客户经理 赵敏", "account_manager"),
    ("legal@platform.example.cn", "法务 孙伟", "legal_compliance"),
]

# A few company logins worth trying first (all companies follow main@<slug>.example.cn).
HIGHLIGHTED_MEMBERS = [
    ("main@dongfang-pack.example.cn", "上海东方包装制品有限公司 · 大客户买家（主账号）"),
    ("buyer@dongfang-pack.example.cn", "上海东方包装制品有限公司 · 采购子账号"),
    ("main@lufeng-paper.example.cn", "山东鲁丰纸业有限公司 · 卖家（主账号）"),
    ("main@yongshang-trade.example.cn", "宁波甬商纸业贸易有限公司 · 买卖双向"),
    ("main@xinyuan-startup.example.cn", "杭州新源纸品有限公司 · 企业认证审核中"),
    ("main@hefei-rejected.example.cn", "合肥庐阳纸业有限公司 · 认证被驳回（可修改重新提交）"),
    ("main@haiwan-print.example.cn", "青岛海湾印刷有限公司 · 信息变更审核中"),
    ("main@ludao-paper.example.cn", "厦门鹭岛纸品有限公司 · 已被客服紧急冻结"),
]
