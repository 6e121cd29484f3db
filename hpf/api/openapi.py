"""The OpenAPI 3.1 document of ``/api/v1/``, written by hand next to the views (a test validates
it with openapi-spec-validator and checks that every route is described)."""

from __future__ import annotations

from typing import Any

from hpf.api.models import SCOPES
from hpf.certificates.kinds import kind_codes
from hpf.ledger.models import Reason
from hpf.ledger.selectors import MAX_PAGE_SIZE

MONEY = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "description": "元，两位小数"}
MONEY_OR_NULL = {"anyOf": [MONEY, {"type": "null"}]}
STR_OR_NULL = {"type": ["string", "null"]}
DATE_OR_NULL = {"type": ["string", "null"], "format": "date"}


def _obj(props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": sorted(props)}


def _errors(*statuses: str) -> dict[str, Any]:
    text = {
        "400": "输入不正确",
        "401": "未携带令牌，或令牌无效、过期、已撤销（code: AUTH_REQUIRED / TOKEN_INVALID）",
        "403": "令牌未获此项授权（code: SCOPE_MISSING）",
        "404": "未找到（code: NOT_FOUND）",
        "429": "请求过于频繁（code: RATE_LIMITED）",
    }
    return {
        s: {
            "description": text[s],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for s in statuses
    }


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {
        "200": {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        }
    }


def _login_step(summary: str, request_schema: str, ok: dict[str, Any]) -> dict[str, Any]:
    """One step of the token login: no token needed, a JSON body, the sign-in's refusals."""

    def error(description: str) -> dict[str, Any]:
        return {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }

    body = {"schema": {"$ref": f"#/components/schemas/{request_schema}"}}
    return {
        "post": {
            "summary": summary,
            "security": [],
            "requestBody": {"required": True, "content": {"application/json": body}},
            "responses": {
                **ok,
                "400": error(
                    "输入不正确，或登录请求无效、验证码错误"
                    "（code: INVALID_INPUT / CHALLENGE_INVALID / CODE_INVALID / "
                    "FACTOR_UNAVAILABLE）"
                ),
                "401": error("账号或密码不正确（code: SIGNIN_REFUSED）"),
                "403": error("本人已冻结网上业务（code: ONLINE_ACCESS_FROZEN）"),
                **_errors("429"),
            },
        }
    }


def _personal(scope: str, schema: str, summary: str, **extra: Any) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "security": [{"bearer": [scope]}],
            "responses": {**_ok(schema, summary), **_errors("400", "401", "403", "404", "429")},
            **extra,
        }
    }


def _query(name: str, schema: dict[str, Any], description: str, required: bool = False) -> Any:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


SCHEDULE = {
    "type": "object",
    "properties": {
        "method": {"type": "string", "enum": ["ANNUITY", "EQUAL_PRINCIPAL"]},
        "instalments": {
            "type": "array",
            "items": _obj(
                {
                    "no": {"type": "integer"},
                    "due_date": {"type": "string", "format": "date"},
                    "payment": MONEY,
                    "principal": MONEY,
                    "interest": MONEY,
                    "outstanding": MONEY,
                    "annual_rate": {"type": "string"},
                }
            ),
        },
        "total_interest": MONEY,
        "total_payment": MONEY,
    },
    "required": ["method", "instalments", "total_interest", "total_payment"],
}

LOAN_PROPS: dict[str, Any] = {
    "contract_no": {"type": "string"},
    "principal": MONEY,
    "term_months": {"type": "integer"},
    "method": {"type": "string"},
    "method_label": {"type": "string"},
    "status_label": {"type": "string"},
    "rates": {
        "type": "array",
        "items": _obj(
            {"effective": {"type": "string", "format": "date"}, "annual_rate": {"type": "string"}}
        ),
    },
    "paid_instalments": {"type": "integer"},
    "remaining_instalments": {"type": "integer"},
    "remaining_principal": MONEY,
    "next_due_date": DATE_OR_NULL,
    "next_payment": MONEY_OR_NULL,
    "overdue_instalments": {"type": "array", "items": {"type": "integer"}},
    "overdue_amount": MONEY,
    "repayments": {
        "type": "array",
        "items": _obj(
            {
                "instalment_no": {"type": "integer"},
                "due_date": {"type": "string", "format": "date"},
                "paid_on": {"type": "string", "format": "date"},
                "principal": MONEY,
                "interest": MONEY,
                "penalty": MONEY,
                "source_label": {"type": "string"},
            }
        ),
    },
}


def openapi_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "稳定的错误代码"},
                "message": {"type": "string", "description": "中文说明"},
            },
            "required": ["code", "message"],
        },
        "Account": _obj(
            {
                "account_no": {"type": "string"},
                "name": {"type": "string"},
                "id_number_masked": {"type": "string"},
                "status": {"type": "string", "enum": ["ACTIVE", "SEALED", "FROZEN", "CLOSED"]},
                "status_label": {"type": "string"},
                "status_reason": {"type": "string"},
                "employer_name": {"type": "string"},
                "balance": MONEY,
                "deposit_base": MONEY,
                "employer_ratio": {"type": "string"},
                "employee_ratio": {"type": "string"},
                "employer_monthly": MONEY,
                "employee_monthly": MONEY,
                "paid_through": STR_OR_NULL,
                "last_deposit_date": DATE_OR_NULL,
                "deposits_this_year": MONEY,
                "withdrawals_this_year": MONEY,
                "carried_balance": MONEY,
                "interest_estimate": MONEY,
                "interest_estimate_note": {"type": "string"},
                "continuous_months": {"type": "integer"},
                "required_continuous_months": {"type": "integer"},
                "missing_periods": {"type": "array", "items": {"type": "string"}},
                "as_of": {"type": "string", "format": "date-time"},
            }
        ),
        "DepositPage": _obj(
            {
                "page": {"type": "integer"},
                "page_size": {"type": "integer"},
                "total": {"type": "integer"},
                "items": {
                    "type": "array",
                    "items": _obj(
                        {
                            "period": STR_OR_NULL,
                            "value_date": {"type": "string", "format": "date"},
                            "type": {"type": "string", "enum": list(Reason.values)},
                            "type_label": {"type": "string"},
                            "deposit_base": MONEY_OR_NULL,
                            "employer_ratio": STR_OR_NULL,
                            "employer_amount": MONEY_OR_NULL,
                            "employee_ratio": STR_OR_NULL,
                            "employee_amount": MONEY_OR_NULL,
                            "amount": MONEY,
                            "balance_after": MONEY,
                            "reversed": {"type": "boolean"},
                        }
                    ),
                },
            }
        ),
        "Interest": _obj(
            {
                "items": {
                    "type": "array",
                    "items": _obj(
                        {
                            "interest_year": {"type": "integer"},
                            "year_start": {"type": "string", "format": "date"},
                            "settlement_date": {"type": "string", "format": "date"},
                            "carried_balance": MONEY,
                            "balance_days": MONEY,
                            "annual_rate": {"type": "string"},
                            "interest": MONEY,
                            "explanation": {"type": "string"},
                        }
                    ),
                }
            }
        ),
        "Withdrawals": _obj(
            {
                "items": {
                    "type": "array",
                    "items": _obj(
                        {
                            "type_label": {"type": "string"},
                            "method_label": {"type": "string"},
                            "amount": MONEY,
                            "state": {"type": "string"},
                            "state_label": {"type": "string"},
                            "bank_card_masked": {"type": "string"},
                            "reject_reason": {"type": "string"},
                            "timeline": {
                                "type": "array",
                                "items": _obj(
                                    {
                                        "label": {"type": "string"},
                                        "at": {"type": "string", "format": "date-time"},
                                    }
                                ),
                            },
                        }
                    ),
                }
            }
        ),
        "Loans": _obj({"items": {"type": "array", "items": _obj(LOAN_PROPS)}}),
        "Loan": _obj({**LOAN_PROPS, "schedule": {"$ref": "#/components/schemas/Schedule"}}),
        "Schedule": SCHEDULE,
        "LoanTrial": _obj(
            {
                "principal": MONEY,
                "months": {"type": "integer"},
                "annual_rate": {"type": "string"},
                "rate_from_policy": {"type": "boolean"},
                "first_home": {"type": "boolean"},
                "schedule": {"$ref": "#/components/schemas/Schedule"},
            }
        ),
        "DepositTrial": _obj(
            {
                "base": MONEY,
                "base_clamped": {"type": ["string", "null"], "enum": ["floor", "cap", None]},
                "employer_amount": MONEY,
                "employee_amount": MONEY,
                "total": MONEY,
            }
        ),
        "Revoked": _obj({"revoked": {"type": "boolean"}}),
        **_service_schemas(),
        "LoginRequest": {
            "type": "object",
            "properties": {
                "login": {"type": "string", "description": "身份证号或登记的手机号"},
                "password": {"type": "string"},
                "factor": {"type": "string", "enum": ["sms", "totp"], "description": "第二因素"},
            },
            "required": ["login", "password"],
        },
        "LoginChallenge": _obj(
            {
                "challenge": {"type": "string", "description": "一次性登录请求号，5 分钟内有效"},
                "factor": {"type": "string", "enum": ["sms", "totp"]},
                "factors": {"type": "array", "items": {"type": "string"}},
                "sent_to": {**STR_OR_NULL, "description": "短信发送到的手机号（脱敏）"},
                "expires_in": {"type": "integer", "description": "秒"},
            }
        ),
        "VerifyRequest": {
            "type": "object",
            "properties": {
                "challenge": {"type": "string"},
                "code": {"type": "string", "description": "6 位短信验证码或动态口令"},
                "device_id": {"type": "string", "description": "应用安装标识（新设备提醒）"},
            },
            "required": ["challenge", "code"],
        },
        "IssuedToken": _obj(
            {
                "token": {"type": "string", "description": "访问令牌，仅此一次返回"},
                "token_type": {"type": "string", "const": "Bearer"},
                "expires_at": {"type": "string", "format": "date-time"},
                "scopes": {"type": "array", "items": {"type": "string"}},
            }
        ),
    }
    public_errors = _errors("400", "429")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "昆明住房公积金个人账户接口",
            "version": "1.0.0",
            "description": (
                "手机应用与合作机构使用的个人账户接口。个人数据接口需携带 Bearer 令牌"
                "（手机应用登录后签发；合作机构令牌只含职工授权的范围），只能查看令牌所属职工"
                "本人的账户，每次查询记入审计日志。金额为字符串（元，两位小数）。错误统一为"
                ' {"code", "message"}。所有响应 Cache-Control: no-store。'
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "授权范围："
                    + "，".join(f"{k}（{v}）" for k, v in SCOPES.items()),
                }
            },
            "schemas": schemas,
        },
        "paths": {
            "/me/account": _personal("account:read", "Account", "账户总览"),
            "/me/deposits": _personal(
                "deposits:read",
                "DepositPage",
                "缴存明细（分页）",
                parameters=[
                    _query(
                        "year", {"type": "integer", "minimum": 1990, "maximum": 2100}, "记账年份"
                    ),
                    _query("type", {"type": "string", "enum": list(Reason.values)}, "业务类型"),
                    _query("page", {"type": "integer", "minimum": 1, "default": 1}, "页码"),
                    _query(
                        "page_size",
                        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 50},
                        "每页条数",
                    ),
                ],
            ),
            "/me/interest": _personal("interest:read", "Interest", "结息明细"),
            "/me/withdrawals": _personal("withdrawals:read", "Withdrawals", "提取记录"),
            "/me/loans": _personal("loans:read", "Loans", "贷款"),
            "/me/loans/{contract_no}": _personal(
                "loans:read",
                "Loan",
                "一笔贷款及其完整还款计划",
                parameters=[
                    {
                        "name": "contract_no",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
            ),
            **_service_paths(),
            "/auth/login": _login_step(
                "登录第一步：身份证号或手机号 + 密码，返回第二因素的登录请求号",
                "LoginRequest",
                _ok("LoginChallenge", "已发送短信验证码或待输入动态口令"),
            ),
            "/auth/verify": _login_step(
                "登录第二步：登录请求号 + 验证码，返回访问令牌（失败次数过多将暂停）",
                "VerifyRequest",
                _ok("IssuedToken", "访问令牌"),
            ),
            "/tokens/revoke": {
                "post": {
                    "summary": "撤销当前令牌（退出登录）",
                    "security": [{"bearer": []}],
                    "responses": {**_ok("Revoked", "已撤销"), **_errors("401", "429")},
                }
            },
            "/calculators/loan": {
                "get": {
                    "summary": "贷款试算（无需登录）",
                    "security": [],
                    "parameters": [
                        _query("principal", {"type": "string"}, "贷款金额（元）", True),
                        _query("months", {"type": "integer", "minimum": 1}, "期限（月）", True),
                        _query(
                            "method",
                            {"type": "string", "enum": ["ANNUITY", "EQUAL_PRINCIPAL"]},
                            "还款方式",
                        ),
                        _query("annual_rate", {"type": "string"}, "年利率，缺省取今日执行利率"),
                        _query("first_home", {"type": "boolean"}, "首套住房（默认 true）"),
                    ],
                    "responses": {**_ok("LoanTrial", "还款计划"), **public_errors},
                }
            },
            "/calculators/deposit": {
                "get": {
                    "summary": "月缴存额试算（无需登录）",
                    "security": [],
                    "parameters": [
                        _query("base", {"type": "string"}, "缴存基数（元）", True),
                        _query("employer_ratio", {"type": "string"}, "单位比例，如 0.12", True),
                        _query("employee_ratio", {"type": "string"}, "个人比例，如 0.12", True),
                    ],
                    "responses": {**_ok("DepositTrial", "月缴存额"), **public_errors},
                }
            },
        },
    }


# --- Self-service: disputes, appointments, certificates, who looked -------------------------

S = {"type": "string"}
DT = {"type": "string", "format": "date-time"}


def _service_schemas() -> dict[str, Any]:
    dispute = _obj(
        {
            "id": {"type": "integer"},
            "kind_label": S,
            "periods": {"type": "array", "items": S},
            "description": S,
            "status": {
                "type": "string",
                "enum": [
                    "NEW",
                    "INVESTIGATING",
                    "AWAITING_EMPLOYER",
                    "CORRECTION_PROPOSED",
                    "RESOLVED",
                    "REJECTED",
                ],
            },
            "status_label": S,
            "resolution": S,
            "filed_at": DT,
            "timeline": {
                "type": "array",
                "items": _obj({"status": S, "label": S, "at": DT, "by": S}),
            },
        }
    )
    appointment = _obj(
        {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["COUNTER", "HOME_VISIT"]},
            "kind_label": S,
            "hall": S,
            "slot_start": DT,
            "business": S,
            "address": S,
            "status": {
                "type": "string",
                "enum": ["REQUESTED", "CONFIRMED", "COMPLETED", "CANCELLED"],
            },
            "status_label": S,
            "status_note": S,
        }
    )
    certificate = _obj(
        {
            "serial": S,
            "kind": {"type": "string", "enum": kind_codes()},
            "kind_label": S,
            "status": {"type": "string", "enum": ["VALID", "EXPIRED", "REVOKED"]},
            "status_label": S,
            "issued_at": DT,
            "valid_until": {"type": "string", "format": "date"},
            "hall": S,
            "purpose": S,
            "pdf": {"type": "string", "description": "签名 PDF 的下载地址"},
        }
    )
    return {
        "Dispute": dispute,
        "Disputes": _obj({"items": {"type": "array", "items": dispute}}),
        "DisputeRequest": {
            "type": "object",
            "properties": {
                "periods": {
                    "type": "array",
                    "items": {"type": "string", "pattern": r"^\d{6}$"},
                    "minItems": 1,
                    "maxItems": 24,
                    "description": "所属年月 YYYYMM",
                },
                "kind": {"type": "string", "enum": ["MISSING_DEPOSIT", "WRONG_AMOUNT", "OTHER"]},
                "description": {"type": "string", "maxLength": 500},
            },
            "required": ["periods", "kind", "description"],
        },
        "Appointment": appointment,
        "Appointments": _obj({"items": {"type": "array", "items": appointment}}),
        "AppointmentRequest": {
            "type": "object",
            "properties": {
                "kind": {"type": "string", "enum": ["COUNTER", "HOME_VISIT"]},
                "hall_id": {"type": "integer"},
                "slot_start": {
                    "type": "string",
                    "format": "date-time",
                    "description": "带时区；柜台预约须为工作日的整时段",
                },
                "business": {"type": "string", "maxLength": 100},
                "address": {"type": "string", "description": "上门服务必填"},
                "reason": {"type": "string", "description": "上门服务必填：不便到厅的原因"},
            },
            "required": ["kind", "hall_id", "slot_start", "business"],
        },
        "Certificate": certificate,
        "Certificates": _obj({"items": {"type": "array", "items": certificate}}),
        "CertificateRequest": {
            "type": "object",
            "properties": {
                "kind": {"type": "string", "enum": kind_codes()},
                "purpose": {"type": "string", "maxLength": 200},
                "date_from": {"type": "string", "format": "date", "description": "账户明细单"},
                "date_to": {"type": "string", "format": "date", "description": "账户明细单"},
                "loan_id": {"type": "integer", "description": "贷款结清证明"},
            },
            "required": ["kind", "purpose"],
        },
        "Readers": _obj(
            {
                "readers": {
                    "type": "array",
                    "items": _obj(
                        {
                            "at": DT,
                            "channel": S,
                            "channel_label": S,
                            "who": {"type": "string", "description": "工作人员只显示岗位和工号"},
                            "hall": S,
                            "purpose": S,
                            "idcheck": {"type": "boolean"},
                        }
                    ),
                },
                "certificate_lookups": {
                    "type": "array",
                    "items": _obj({"at": DT, "serial": S, "result": S, "via": S}),
                },
            }
        ),
    }


def _write(scope: str, request: str, schema: str, summary: str) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": [{"bearer": [scope]}],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{request}"}}
            },
        },
        "responses": {**_ok(schema, summary), **_errors("400", "401", "403", "404", "429")},
    }


def _service_paths() -> dict[str, Any]:
    pdf = {
        "200": {
            "description": "带中心数字签名的 PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
    return {
        "/me/disputes": {
            **_personal("disputes:read", "Disputes", "我的核查更正申请及进度"),
            "post": _write("disputes:write", "DisputeRequest", "Dispute", "提交核查更正申请"),
        },
        "/me/appointments": {
            **_personal("appointments:read", "Appointments", "我的预约"),
            "post": _write(
                "appointments:write",
                "AppointmentRequest",
                "Appointment",
                "预约柜台或上门服务（时段已满：SLOT_FULL）",
            ),
        },
        "/me/certificates": {
            **_personal("certificates:read", "Certificates", "我的证明"),
            "post": _write("certificates:write", "CertificateRequest", "Certificate", "出具证明"),
        },
        "/me/certificates/{serial}/pdf": {
            "get": {
                "summary": "下载证明的签名 PDF",
                "security": [{"bearer": ["certificates:read"]}],
                "parameters": [{"name": "serial", "in": "path", "required": True, "schema": S}],
                "responses": {**pdf, **_errors("401", "403", "404", "429")},
            }
        },
        "/me/readers": _personal("readers:read", "Readers", "谁查询了我的账户（含证明核验）"),
    }
