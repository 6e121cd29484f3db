"""A signed-in device in words ("Chrome · Windows", "Safari · iPhone", "微信 · 华为手机") for the
depositor's security page and the sign-in lists, from the browser's User-Agent header. The
parsing is ua-parser's (the maintained uap-core rules), never hand-written regexes; only the
names shown are ours, Chinese first."""

from __future__ import annotations

from functools import lru_cache

from django.utils.translation import gettext as _
from ua_parser import parse

# uap-core's browser families shown under a shorter or plainer name.
BROWSERS = {
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "HeadlessChrome": "Chrome",
    "Chromium": "Chromium",
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Samsung Internet": "三星浏览器",
    "QQ Browser": "QQ 浏览器",
    "QQ Browser Mobile": "QQ 浏览器",
    "UC Browser": "UC 浏览器",
    "WeChat": "微信",
    "Huawei Browser": "华为浏览器",
    "MiuiBrowser": "小米浏览器",
    "Baidu Box App": "百度",
}
# Android phones by maker, as people name them.
BRANDS = {
    "Huawei": "华为手机",
    "HONOR": "荣耀手机",
    "Xiaomi": "小米手机",
    "XiaoMi": "小米手机",
    "Oppo": "OPPO 手机",
    "OPPO": "OPPO 手机",
    "vivo": "vivo 手机",
    "Samsung": "三星手机",
    "OnePlus": "一加手机",
}


@lru_cache(maxsize=1024)
def _parts(user_agent: str) -> tuple[str, str, str, str]:
    """(browser family, OS family, device family, device brand) as ua-parser reads them."""
    result = parse(user_agent)
    return (
        result.user_agent.family if result.user_agent else "",
        result.os.family if result.os else "",
        result.device.family if result.device else "",
        (result.device.brand or "") if result.device else "",
    )


def _system(os_family: str, device: str, brand: str) -> str:
    if os_family == "iOS":
        return "iPad" if device == "iPad" else "iPhone"
    if os_family == "Android":
        return _(BRANDS[brand]) if brand in BRANDS else _("安卓手机")
    if os_family == "Mac OS X":
        return "macOS"
    if os_family.startswith("Windows"):
        return "Windows"
    if os_family in ("Linux", "Ubuntu", "Fedora", "Debian"):
        return "Linux"
    if os_family == "HarmonyOS":
        return _("鸿蒙")
    return os_family if os_family and os_family != "Other" else ""


def device_label(user_agent: str) -> str:
    """ "Chrome · Windows": the browser and the system of a User-Agent, or "未识别的设备"."""
    browser, os_family, device, brand = _parts(user_agent[:512])
    if browser == "Chrome Mobile WebView":
        browser = _("应用内浏览器")
    else:
        browser = (
            _(BROWSERS[browser]) if browser in BROWSERS else ("" if browser == "Other" else browser)
        )
    system = _system(os_family, device, brand)
    parts = [p for p in (browser, system) if p]
    return " · ".join(parts) if parts else _("未识别的设备")
