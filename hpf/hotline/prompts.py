"""The catalogue of the hotline's recorded prompts (语音提示).

Each name is the sound file Asterisk plays with ``STREAM FILE`` (under ``hpf/`` in the
call centre's sounds directory, one recording per language), and the text is what the
recording says. ``docs/ivr-prompts.md`` lists the same names and texts for the people who
record them; a test keeps the two equal. The soft phone (``hpf ivr-call``) prints the text.
"""

from __future__ import annotations

PROMPT_DIR = "hpf"

PROMPTS: dict[str, str] = {
    "welcome": "您好，欢迎致电昆明住房公积金 12329 服务热线。",
    "main-menu": "查询账户余额和最近缴存请按 1，查询公积金贷款请按 2，人工服务请按 0；重听请按星号键。",
    "invalid-choice": "您的输入有误，请重新选择。",
    "no-input": "没有收到您的按键。",
    "enter-id": "请输入您的 18 位身份证号码，字母 X 请按星号键，输入完毕请按井号键；返回上一级请直接按井号键。",
    "id-invalid": "身份证号码应为 18 位，请重新输入。",
    "enter-password": "请输入 6 位热线查询密码，输入完毕请按井号键；重听请按星号键，返回上一级请直接按井号键。",
    "wrong-credentials": "身份证号码或查询密码不正确，请重新输入。",
    "too-many-tries": "身份证号码或查询密码多次输入错误，本次通话结束。",
    "locked": "您当日查询密码错误次数过多，热线查询已锁定。请登录网上业务大厅或到服务大厅重设查询密码。",
    "channel-disabled": "您已关闭热线查询，如需使用，请登录网上业务大厅开启。",
    "balance-is": "您的住房公积金账户余额为",
    "yuan": "元",
    "fen": "分",
    "year": "年",
    "month": "月",
    "day": "日",
    "status-sealed": "您的账户目前为封存状态。",
    "status-frozen": "您的账户目前为冻结状态。",
    "status-closed": "您的账户已销户。",
    "monthly-deposit": "月缴存额为",
    "paid-through": "已缴存至",
    "recent-deposits": "最近几笔缴存如下：",
    "deposit-period": "所属年月",
    "deposit-amount": "缴存金额",
    "posted-on": "入账日期",
    "no-deposits": "您的账户还没有缴存记录。",
    "no-loan": "您目前没有住房公积金贷款。",
    "loan-remaining": "您的公积金贷款剩余本金为",
    "loan-next-date": "下期还款日为",
    "loan-next-amount": "下期应还金额为",
    "loan-overdue": "您有逾期未还的贷款，逾期金额为",
    "loan-paid-off": "您的公积金贷款已全部还清。",
    "after-result": "重听请按星号键，返回主菜单请按井号键，结束查询请挂机。",
    "transfer": "正在为您转接人工服务，请稍候。",
    "system-busy": "系统繁忙，请稍后再拨。",
    "goodbye": "感谢您的来电，再见。",
}


def prompt_file(name: str) -> str:
    """The sound file name ``STREAM FILE`` plays for prompt ``name`` (KeyError if unknown)."""
    PROMPTS[name]
    return f"{PROMPT_DIR}/{name}"
