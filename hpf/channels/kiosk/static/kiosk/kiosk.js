/* The kiosk screen: card → face check → result → receipt → clear.
 *
 * Everything personal goes through the kiosk shell's bridge (window.HPFKioskBridge): it reads
 * the card, runs the face check, signs every API request with the kiosk client's secret (the
 * page never sees it) and prints. Nothing personal is stored in the browser: no localStorage,
 * no cookies, answers are no-store, and the result screen's DOM is emptied when it clears —
 * after HPF_KIOSK_IDLE_S seconds without a touch, or when the card is taken away.
 */
(function () {
  "use strict";
  var bridge = window.HPFKioskBridge;
  var idleS = parseInt(document.body.getAttribute("data-idle-s"), 10) || 60;
  var idleTimer = null, tickTimer = null, deadline = 0, busy = false, current = null;

  function show(id) {
    document.querySelectorAll(".screen").forEach(function (s) { s.hidden = s.id !== id; });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clearAll() {
    current = null; busy = false;
    var r = document.getElementById("s-result");
    while (r.firstChild) r.removeChild(r.firstChild);
    document.getElementById("error-title").textContent = "";
    document.getElementById("error-text").textContent = "";
    stopIdle();
    show("s-start");
  }
  function stopIdle() {
    clearTimeout(idleTimer); clearInterval(tickTimer); idleTimer = null;
    document.getElementById("countdown").textContent = "";
  }
  function armIdle() {
    stopIdle();
    deadline = Date.now() + idleS * 1000;
    idleTimer = setTimeout(clearAll, idleS * 1000);
    tickTimer = setInterval(function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      document.getElementById("countdown").textContent = left + " 秒后自动清屏";
    }, 1000);
  }
  ["pointerdown", "touchstart", "keydown"].forEach(function (ev) {
    document.addEventListener(ev, function () { if (idleTimer) armIdle(); }, { passive: true });
  });

  function request(path, payload) {
    return bridge.signedFetch(path, JSON.stringify(payload));
  }
  function failure(title, text) {
    show("s-error");
    document.getElementById("error-title").textContent = title;
    document.getElementById("error-text").textContent = text;
    armIdle();
  }
  var MESSAGES = {
    FACE_MATCH_REQUIRED: ["人脸核验未通过", "请本人持身份证重新核验，或到服务大厅办理。"],
    NOT_FOUND: ["未查询到账户", "未查询到与身份证件相符的公积金账户。"],
    CHANNEL_DISABLED: ["本人已关闭自助终端查询", "可登录网上业务大厅“安全设置”开启。"],
    RATE_LIMITED: ["查询人数较多", "请稍后再试。"]
  };

  function render(a) {
    var r = document.getElementById("s-result");
    while (r.firstChild) r.removeChild(r.firstChild);
    var box = el("div", "result");
    box.appendChild(el("h1", null, "住房公积金账户"));
    box.appendChild(el("p", "who", a.name + "　账号 " + a.account_no + "　" + a.status_label));
    var bal = el("div", "balance");
    bal.appendChild(el("div", "label", "账户余额（元）"));
    bal.appendChild(el("div", "amount", a.balance));
    box.appendChild(bal);
    box.appendChild(el("p", "facts", "缴至年月：" + (a.paid_through || "—")));
    var t = el("table");
    t.appendChild(el("caption", null, "最近六笔缴存"));
    var head = el("tr");
    ["所属年月", "单位", "个人", "合计", "入账日期"].forEach(function (h) { head.appendChild(el("th", null, h)); });
    t.appendChild(head);
    a.deposits.forEach(function (d) {
      var tr = el("tr");
      [d.period || "—", d.employer_part, d.personal_part, d.total, d.posted_on].forEach(function (v) { tr.appendChild(el("td", null, v)); });
      t.appendChild(tr);
    });
    box.appendChild(t);
    if (a.loan) {
      var loan = el("div", "loan");
      loan.appendChild(el("div", null, "公积金贷款剩余本金：" + a.loan.remaining_principal + " 元"));
      loan.appendChild(el("div", null, "下期还款：" + a.loan.next_due_date + "　" + a.loan.next_payment + " 元"));
      box.appendChild(loan);
    }
    var actions = el("div", "actions");
    var print = el("button", null, "打印回单");
    print.id = "print";
    print.addEventListener("click", printReceipt);
    var done = el("button", "secondary", "结束查询");
    done.id = "done";
    done.addEventListener("click", clearAll);
    actions.appendChild(print); actions.appendChild(done);
    box.appendChild(actions);
    var printed = el("p", null, ""); printed.id = "printed";
    box.appendChild(printed);
    r.appendChild(box);
    show("s-result");
    armIdle();
  }

  function printReceipt() {
    if (!current) return;
    var printed = document.getElementById("printed");
    printed.textContent = "正在打印…";
    request("/api/partner/v1/kiosk/receipt", current).then(function (res) {
      if (!res.ok) { printed.textContent = "打印失败，请稍后再试"; return null; }
      return res.blob();
    }).then(function (blob) {
      if (!blob) return;
      return Promise.resolve(bridge.print(blob)).then(function () {
        printed.textContent = "回单已打印，请取走回单和身份证";
      });
    });
  }

  function onCard() {
    if (busy) return;
    busy = true;
    show("s-reading");
    var chip;
    bridge.readCard().then(function (c) {
      chip = c;
      show("s-face");
      return bridge.faceMatch();
    }).then(function (face) {
      var term = bridge.terminal();
      current = {
        id_number: chip.id_number,
        name: chip.name,
        card_read: { reader_serial: chip.reader_serial, read_at: chip.read_at },
        face_match: face,
        terminal: term
      };
      chip = null;
      return request("/api/partner/v1/kiosk/inquiry", current);
    }).then(function (res) {
      return res.json().then(function (body) { return [res.status, body]; });
    }).then(function (pair) {
      if (pair[0] === 200) { render(pair[1]); return; }
      current = null;
      var m = MESSAGES[pair[1].code] || ["暂时无法查询", pair[1].message || "请稍后再试。"];
      failure(m[0], m[1]);
    }).catch(function () {
      current = null;
      failure("暂时无法查询", "读卡或网络异常，请取走身份证后重试。");
    });
  }

  window.hpfKiosk = { clear: clearAll };
  if (!bridge) {
    document.querySelector("#s-start h1").textContent = "本机未连接读卡设备";
    return;
  }
  bridge.onCardPlaced(onCard);
  bridge.onCardRemoved(clearAll);
  show("s-start");
})();
