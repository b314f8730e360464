// The report form. Plain script, no build step. The server checks every save with the
// chat's rules; this page checks types and ranges as the secretary types, in Vietnamese.
"use strict";

let tg = null;

// Telegram passes the launch data in the address (`#tgWebAppData=…`); telegram-web-app.js
// reads the same, so the page does not wait for that script (tests have no internet).
function initData() {
  const hash = new URLSearchParams(location.hash.slice(1));
  return hash.get("tgWebAppData") || new URLSearchParams(location.search).get("tgWebAppData") || "";
}

// Telegram's colours, from the launch parameters, as the --tg-theme-* variables.
function applyTheme() {
  const raw = new URLSearchParams(location.hash.slice(1)).get("tgWebAppThemeParams");
  if (!raw) return;
  try {
    for (const [k, v] of Object.entries(JSON.parse(raw))) {
      document.documentElement.style.setProperty("--tg-theme-" + k.replace(/_/g, "-"), v);
    }
  } catch (_) { /* no theme: the defaults stay */ }
}

// When telegram-web-app.js has loaded: its main button «Lưu» replaces the page's own.
window.chiboTelegramReady = function () {
  tg = window.Telegram && window.Telegram.WebApp;
  if (!tg) return;
  tg.ready();
  tg.expand();
  if (view && !view.locked) {
    tg.MainButton.setText("Lưu");
    tg.MainButton.show();
    tg.MainButton.onClick(doSave);
    document.getElementById("save").hidden = true;
  }
};

const INIT = initData();
const inputs = []; // { key, row, kind, max, blank, el, err, original }
let saveId = null;
let view = null;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

function idOf(key, row) {
  return "in-" + (key + "-" + row).replace(/[^A-Za-z0-9_-]/g, "_");
}

function fmtMax(n) {
  return String(n).replace(".", ",");
}

// The chat's rules, as far as a page can know them.
function check(inp) {
  const v = inp.el.value.trim();
  if (v === "") return "";
  const k = inp.kind;
  if (k === "heading" || k === "text" || k === "phone") {
    if (k === "heading" && v.length > inp.max) return "Dài quá " + fmtMax(inp.max) + " ký tự.";
    if (k === "phone" && !/^[0-9 .+()-]{7,}$/.test(v)) return "Số điện thoại chỉ gồm chữ số, ví dụ 0912345678.";
    return "";
  }
  if (k === "date") {
    return /^\d{1,2}[/.-]\d{1,2}[/.-]\d{4}$/.test(v) ? "" : "Ngày theo dạng ngày/tháng/năm, ví dụ 05/12/2023.";
  }
  if (v === "-") return inp.blank ? "" : "Ô này không được để trống.";
  // As the chat reads them: «1.234» groups thousands in a count, «87,5» is a decimal.
  const grouped = k === "count" && /^\d{1,3}(\.\d{3})+$/.test(v);
  const n = grouped ? Number(v.replace(/\./g, "")) : Number(v.replace(",", "."));
  if (!grouped && (!/^\d+([.,]\d+)?$/.test(v) || !Number.isFinite(n))) {
    return k === "count" ? "Phải là số nguyên ≥ 0." : "Phải là số ≥ 0, ví dụ 87,5.";
  }
  if (k === "count" && !Number.isInteger(n)) return "Phải là số nguyên ≥ 0.";
  if (n > inp.max) return k === "percent" ? "Tỷ lệ %, không được quá 100." : "Không được quá " + fmtMax(inp.max) + ".";
  return "";
}

function showError(inp, message) {
  inp.err.textContent = message;
  inp.el.classList.toggle("bad", !!message);
  inp.el.setAttribute("aria-invalid", message ? "true" : "false");
}

function addInput(parent, spec, locked, guidance) {
  const id = idOf(spec.key, spec.row);
  const box = el("div", { class: "field" });
  box.append(el("label", { for: id, text: spec.label }));
  if (guidance && guidance.length) {
    const d = el("details", {}, el("summary", { text: "Gợi ý" }));
    for (const g of guidance) d.append(el("div", { text: "• " + g }));
    box.append(d);
  }
  const numeric = ["count", "percent", "avg", "hours"].includes(spec.kind);
  const input = spec.kind === "heading"
    ? el("textarea", { id, rows: "4" })
    : el("input", { id, type: "text", autocomplete: "off" });
  if (numeric) input.setAttribute("inputmode", spec.kind === "count" ? "numeric" : "decimal");
  if (spec.kind === "phone") input.setAttribute("inputmode", "tel");
  const original = spec.value == null ? "" : (numeric ? String(spec.value).replace(".", ",") : spec.value);
  input.value = original;
  if (locked) input.disabled = true;
  const err = el("div", { class: "error", id: id + "-error", "aria-live": "polite" });
  box.append(input, err);
  parent.append(box);
  const inp = { key: spec.key, row: spec.row, kind: spec.kind, max: spec.max, blank: spec.blank, el: input, err, original };
  input.addEventListener("input", () => {
    showError(inp, check(inp));
    const status = document.getElementById("status");
    if (status.className === "bad" && !inputs.some((i) => i.err.textContent)) setStatus("", true);
  });
  inputs.push(inp);
}

function render(v) {
  view = v;
  document.getElementById("title").textContent = v.unit;
  document.getElementById("sub").textContent = v.campaign + " · hạn nộp " + v.deadline + " · " + v.status;
  const form = document.getElementById("form");
  form.textContent = "";
  inputs.length = 0;
  if (v.locked) setStatus("Báo cáo đã nộp nên chỉ xem được.", false);
  for (const t of v.tables) {
    form.append(el("h2", { text: t.name + ": " + t.title }));
    for (const r of t.rows) {
      // The row's name stays in view while its figures are typed.
      const fs = el("fieldset", {}, el("div", { class: "rowhead", text: t.name + " — " + r.name }));
      for (const i of r.inputs) addInput(fs, i, v.locked);
      form.append(fs);
    }
  }
  form.append(el("h2", { text: "Thông tin báo cáo" }));
  const fs = el("fieldset");
  for (const f of v.fields) addInput(fs, f, v.locked);
  form.append(fs);
  form.append(el("h2", { text: "Đề cương" }));
  for (const h of v.headings) {
    const box = el("fieldset");
    addInput(box, h.input, v.locked, h.guidance);
    form.append(box);
  }
  renderWarnings(v.warnings || []);
  document.getElementById("save").hidden = v.locked;
  if (window.Telegram && window.Telegram.WebApp) window.chiboTelegramReady();
}

function renderWarnings(list) {
  const box = document.getElementById("warnings-box");
  const ul = document.getElementById("warnings");
  ul.textContent = "";
  box.hidden = list.length === 0;
  for (const w of list) {
    const id = "cf-" + (w.rule + "-" + w.row).replace(/[^A-Za-z0-9_-]/g, "_");
    const cb = el("input", { type: "checkbox", id, "data-rule": w.rule, "data-row": w.row });
    cb.style.width = "auto";
    ul.append(el("li", {}, el("div", { text: w.message }), el("label", { for: id }, cb, " Đúng, giữ nguyên")));
  }
}

function setStatus(text, ok) {
  const s = document.getElementById("status");
  s.textContent = text;
  s.className = ok ? "ok" : "bad";
}

async function api(path, body) {
  const res = await fetch(path, {
    method: body ? "POST" : "GET",
    headers: Object.assign({ "X-Telegram-Init-Data": INIT }, body ? { "Content-Type": "application/json" } : {}),
    body: body ? JSON.stringify(body) : undefined,
  });
  let data = {};
  try { data = await res.json(); } catch (_) { /* an empty or non-JSON answer */ }
  return { status: res.status, data };
}

function newId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return Date.now().toString(36) + Math.random().toString(36).slice(2);
}

async function doSave() {
  let bad = 0;
  for (const inp of inputs) {
    const m = check(inp);
    showError(inp, m);
    if (m) bad++;
  }
  if (bad) {
    setStatus("Còn " + bad + " ô chưa đúng (ghi chú màu đỏ). Chưa lưu gì.", false);
    inputs.find((i) => i.err.textContent).el.focus();
    return;
  }
  const values = inputs
    .filter((i) => i.el.value.trim() !== i.original.trim() && i.el.value.trim() !== "")
    .map((i) => ({ key: i.key, row: i.row, value: i.el.value.trim() }));
  const confirm = Array.from(document.querySelectorAll("#warnings input:checked"))
    .map((c) => ({ rule: c.dataset.rule, row: c.dataset.row }));
  if (!values.length && !confirm.length) {
    setStatus("Chưa có gì thay đổi để lưu.", true);
    return;
  }
  // The same id until the server answers, so a save sent again is applied once.
  saveId = saveId || newId();
  const button = document.getElementById("save");
  button.disabled = true;
  if (tg) tg.MainButton.showProgress();
  let r;
  try {
    r = await api("/api/save", { id: saveId, values, confirm });
  } catch (_) {
    setStatus("Mất kết nối, chưa chắc đã lưu. Bấm Lưu lần nữa khi có mạng (không bị lưu hai lần).", false);
    button.disabled = false;
    if (tg) tg.MainButton.hideProgress();
    return;
  }
  button.disabled = false;
  if (tg) tg.MainButton.hideProgress();
  if (r.status === 200) {
    saveId = null;
    for (const i of inputs) i.original = i.el.value.trim();
    const d = r.data;
    setStatus("💾 Đã lưu: " + d.figures + " số liệu, " + d.answers + " mục.", true);
    renderWarnings(d.warnings || []);
    return;
  }
  saveId = null;
  if (r.status === 422 && r.data.errors) {
    for (const e of r.data.errors) {
      const inp = inputs.find((i) => i.key === e.key && i.row === e.row);
      if (inp) showError(inp, e.message);
    }
  }
  setStatus(r.data.error || "Chưa lưu được. Đồng chí thử lại sau ít phút.", false);
}

async function start() {
  applyTheme();
  document.getElementById("save").addEventListener("click", doSave);
  if (!INIT) {
    document.getElementById("sub").textContent = "Hãy mở biểu mẫu từ nút «📝 Mở biểu mẫu» trong cuộc trò chuyện với bot.";
    return;
  }
  const r = await api("/api/form");
  if (r.status !== 200) {
    document.getElementById("sub").textContent = r.data.error || "Chưa mở được biểu mẫu.";
    return;
  }
  render(r.data);
}

start();
