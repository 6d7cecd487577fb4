// The moderator console. Plain DOM, no build step. User text goes in with textContent; only
// body_html (sanitized by the server to an allowlist of tags) is parsed as HTML.
"use strict";
(() => {
  const TEXT = {
    en: {
      title: "Moderation", signIn: "Sign in", signOut: "Sign out", tokenLabel: "Moderator token",
      tokenHint: "The token is exchanged for a session cookie once; it is not kept in this page.",
      badToken: "That token was not accepted.", pending: "Pending", approved: "Approved",
      rejected: "Rejected", spam: "Spam", thread: "Thread", flaggedFirst: "Flagged first",
      selectAll: "Select all", approveSelected: "Approve selected",
      rejectSelected: "Reject selected", keys: "Keys", empty: "Nothing to review.",
      undo: "Undo", rejectTitle: "Reject", reason: "Reason", note: "Note (optional)",
      cancel: "Cancel", reject: "Reject", approve: "Approve", close: "Close",
      takeDown: "Take down", restore: "Restore", select: "Select",
      r_spam: "Spam", r_offensive: "Offensive", r_abusive: "Abusive",
      r_hate_speech: "Hate speech", r_harassment: "Harassment",
      r_illegal_content: "Illegal content", r_misinformation: "Misinformation",
      r_advertising: "Advertising", r_off_topic: "Off topic", r_other: "Other",
      k_move: "next / previous comment", k_approve: "approve (restore a rejected one)",
      k_reject: "reject with a reason (take down an approved one)", k_spam: "reject as spam",
      k_select: "select for a bulk action", k_undo: "undo the last action (10 seconds)",
      k_help: "show these keys", history: (a, r) => `author: ${a} approved, ${r} rejected`,
      done: (n, s) => (n === 1 ? `Comment ${s}.` : `${n} comments ${s}.`),
      undone: "Undone.", failed: "The action failed; the list was refreshed.",
      didApprove: "approved", didReject: "rejected", gone: "decided elsewhere",
      flag: { suspect_term: "suspect term", too_many_links: "links", banned_term: "banned term" },
      appeals: "Appeals", explanation: "Explanation for the author (optional)",
      uphold: "Uphold", reverse: "Reverse", appealBy: "The author appeals:",
      decisionWas: (reason, by) => `Decision: ${reason} (${by})`, verified: "verified address",
      unavailable: "address unavailable",
      sameModerator: "Another moderator must decide this appeal.",
      reports: "Reports", keep: "Keep", remove: "Remove", k_keep: "in Reports: keep (k) or remove with a reason (r); p: previous",
      reportedBy: (n, cats) => `${n} ${n === 1 ? "reader" : "readers"} reported it: ${cats}`,
      didKeep: "kept", didRemove: "removed", hidden: "hidden from the thread",
      cat: {
        illegal_content: "illegal content", hate_speech: "hate speech", harassment: "harassment",
        violence_or_threat: "violence or threat", privacy: "privacy", misinformation: "misinformation",
        spam: "spam", other: "other",
      },
    },
    ar: {
      title: "الإشراف", signIn: "دخول", signOut: "خروج", tokenLabel: "رمز المشرف",
      tokenHint: "يُستبدل الرمز مرة واحدة بملف تعريف جلسة، ولا يُحفظ في هذه الصفحة.",
      badToken: "لم يُقبل هذا الرمز.", pending: "قيد المراجعة", approved: "منشورة",
      rejected: "مرفوضة", spam: "مزعجة", thread: "المقال", flaggedFirst: "المعلَّمة أولاً",
      selectAll: "تحديد الكل", approveSelected: "نشر المحدد", rejectSelected: "رفض المحدد",
      keys: "المفاتيح", empty: "لا شيء للمراجعة.", undo: "تراجع", rejectTitle: "رفض",
      reason: "السبب", note: "ملاحظة (اختيارية)", cancel: "إلغاء", reject: "رفض",
      approve: "نشر", close: "إغلاق", takeDown: "سحب", restore: "استعادة", select: "تحديد",
      r_spam: "رسائل مزعجة", r_offensive: "مسيء", r_abusive: "بذيء", r_hate_speech: "خطاب كراهية",
      r_harassment: "تحرش", r_illegal_content: "محتوى غير قانوني", r_misinformation: "معلومات مضللة",
      r_advertising: "إعلان", r_off_topic: "خارج الموضوع", r_other: "سبب آخر",
      k_move: "التعليق التالي / السابق", k_approve: "نشر (أو استعادة تعليق مرفوض)",
      k_reject: "رفض مع سبب (أو سحب تعليق منشور)", k_spam: "رفض كرسالة مزعجة",
      k_select: "تحديد لإجراء جماعي", k_undo: "التراجع عن آخر إجراء (١٠ ثوانٍ)",
      k_help: "عرض هذه المفاتيح", history: (a, r) => `الكاتب: ${a} منشورة، ${r} مرفوضة`,
      done: (n, s) => (n === 1 ? `التعليق ${s}.` : `${n} تعليقات ${s}.`),
      undone: "تم التراجع.", failed: "تعذّر الإجراء؛ حُدّثت القائمة.",
      didApprove: "نُشر", didReject: "رُفض", gone: "قُرّر في مكان آخر",
      flag: { suspect_term: "كلمة مشبوهة", too_many_links: "روابط", banned_term: "كلمة محظورة" },
      appeals: "الاعتراضات", explanation: "توضيح للكاتب (اختياري)",
      uphold: "تأييد القرار", reverse: "إلغاء القرار", appealBy: "يعترض الكاتب:",
      decisionWas: (reason, by) => `القرار: ${reason} (${by})`, verified: "عنوان مؤكَّد",
      unavailable: "العنوان غير متاح",
      sameModerator: "يجب أن يبتّ مشرف آخر في هذا الاعتراض.",
      reports: "البلاغات", keep: "إبقاء", remove: "حذف", k_keep: "في البلاغات: إبقاء (k) أو حذف مع سبب (r)؛ p: السابق",
      reportedBy: (n, cats) => `أبلغ عنه ${n} ${n === 1 ? "قارئ" : "قرّاء"}: ${cats}`,
      didKeep: "أُبقي", didRemove: "حُذف", hidden: "مخفي من الصفحة",
      cat: {
        illegal_content: "محتوى غير قانوني", hate_speech: "خطاب كراهية", harassment: "تحرّش",
        violence_or_threat: "عنف أو تهديد", privacy: "الخصوصية", misinformation: "معلومات مضلّلة",
        spam: "رسائل مزعجة", other: "سبب آخر",
      },
    },
  };
  const POLL_MS = 5000;
  const UNDO_MS = 10000;
  const BATCH = 50;
  const COUNT_CAP = 10000; // service.COUNT_CAP: counts stop there
  const $ = (id) => document.getElementById(id);
  const state = {
    lang: localStorage.getItem("moderation.lang") === "ar" ? "ar" : "en",
    session: null, status: "pending", items: new Map(), current: null,
    selected: new Set(), counts: null, last: null, undoTimer: 0, pollTimer: 0,
  };
  const t = (key) => TEXT[state.lang][key] ?? TEXT.en[key] ?? key;

  function applyLanguage() {
    const root = document.documentElement;
    root.lang = state.lang;
    root.dir = state.lang === "ar" ? "rtl" : "ltr";
    document.title = t("title");
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    const other = state.lang === "ar" ? "en" : "ar";
    $("language").textContent = other === "ar" ? "العربية" : "English";
    $("language").lang = other;
    const comments = [...state.items.values()].map((li) => li.comment);
    for (const li of state.items.values()) li.remove();
    state.items = new Map();
    rebuild(comments);
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = state.session.csrf_token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) {
      showSignIn();
      throw new Error("signed out");
    }
    const data = response.status === 204 ? null : await response.json();
    return { ok: response.ok, status: response.status, data };
  }

  function showSignIn() {
    state.session = null;
    clearTimeout(state.pollTimer);
    $("queue-view").hidden = true;
    $("sign-out").hidden = true;
    $("sign-in-view").hidden = false;
    $("site-name").textContent = "";
    $("token").focus();
  }

  async function start(session) {
    state.session = session;
    $("sign-in-view").hidden = true;
    $("queue-view").hidden = false;
    $("sign-out").hidden = false;
    $("site-name").textContent = session.site;
    await load();
  }

  // ---- the queue -------------------------------------------------------------------------
  // The next poll is scheduled whatever happens to this one (a failed request, a bad item).
  async function load() {
    clearTimeout(state.pollTimer);
    try {
      await refresh();
    } finally {
      if (state.session) state.pollTimer = setTimeout(() => load().catch(() => {}), POLL_MS);
    }
  }

  async function refresh() {
    const site = encodeURIComponent(state.session.site);
    const thread = $("thread-filter").value.trim();
    let items;
    if (state.status === "reports") {
      const { ok, data } = await api("GET", `/v1/sites/${site}/reports?status=open&limit=${BATCH}`);
      if (!ok) return;
      // Each reported comment shown as its comment, with its reports attached.
      items = data.items.map((report) => ({ ...report.comment, report }));
    } else if (state.status === "appeals") {
      const { ok, data } = await api("GET", `/v1/sites/${site}/appeals?status=open&limit=${BATCH}`);
      if (!ok) return;
      // Each appeal shown as its comment, with the appeal attached.
      items = data.items.map((appeal) => ({ ...appeal.comment, appeal }));
    } else if (state.status === "pending") {
      const body = { limit: BATCH, flagged_first: $("flagged-first").checked };
      if (thread) body.thread = thread;
      const { ok, data } = await api("POST", `/v1/sites/${site}/queue/claim`, body);
      if (!ok) return;
      items = data.items;
      state.counts = data.counts;
    } else {
      const query = new URLSearchParams({ status: state.status, limit: String(BATCH) });
      if (thread) query.set("thread", thread);
      const { ok, data } = await api("GET", `/v1/sites/${site}/queue?${query}`);
      if (!ok) return;
      items = data.items;
    }
    rebuild(items);
    renderCounts();
  }

  // Keeps the elements of comments still listed (focus and selection survive a refresh);
  // comments decided elsewhere simply leave.
  function rebuild(items) {
    const list = $("queue");
    const next = new Map();
    for (const comment of items) {
      const existing = state.items.get(comment.id);
      const same = existing && existing.comment.status === comment.status
        && Boolean(existing.comment.appeal) === Boolean(comment.appeal)
        && (existing.comment.report || {}).reports === (comment.report || {}).reports;
      const li = same ? existing : renderSafely(comment);
      next.set(comment.id, li);
    }
    for (const [id, li] of state.items) if (!next.has(id)) li.remove();
    for (const id of state.selected) if (!next.has(id)) state.selected.delete(id);
    let previous = null;
    for (const li of next.values()) {
      const expected = previous ? previous.nextSibling : list.firstChild;
      if (expected !== li) list.insertBefore(li, expected);
      previous = li;
    }
    state.items = next;
    if (!state.current || !next.has(state.current)) {
      state.current = next.size ? next.keys().next().value : null;
    }
    markCurrent(false);
    $("empty").hidden = next.size > 0;
    $("select-all").checked = next.size > 0 && state.selected.size === next.size;
  }

  function renderCounts() {
    for (const button of $("tabs").querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.status === state.status));
      const n = state.counts ? state.counts[button.dataset.status] : undefined;
      const shown = n >= COUNT_CAP ? `${COUNT_CAP}+` : n;
      button.querySelector(".count").textContent = n === undefined ? "" : `(${shown})`;
    }
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // One comment that cannot be rendered must not blank the queue or stop the polling: it is
  // shown as plain text (textContent, never parsed), still selectable and decidable by id.
  function renderSafely(comment) {
    try {
      return renderItem(comment);
    } catch (error) {
      console.error("comment", comment && comment.id, "rendered as plain text:", error);
      return renderPlain(comment);
    }
  }

  function pickBox(comment) {
    const box = el("input");
    box.type = "checkbox";
    box.className = "pick";
    box.checked = state.selected.has(comment.id);
    box.setAttribute("aria-label", t("select"));
    box.addEventListener("change", () => {
      if (box.checked) state.selected.add(comment.id);
      else state.selected.delete(comment.id);
    });
    return box;
  }

  function renderPlain(comment) {
    const li = el("li", "item plain");
    li.comment = comment;
    li.dataset.id = comment.id;
    li.tabIndex = -1;
    const meta = el("div", "meta");
    meta.append(pickBox(comment), el("bdi", "name", String(comment.name ?? "")), " · ",
      el("bdi", "thread", String(comment.thread ?? "")));
    li.append(meta);
    const body = el("div", "body", String(comment.body_text ?? ""));
    body.dir = "auto";
    li.append(body);
    li.addEventListener("click", () => { state.current = comment.id; markCurrent(false); });
    return li;
  }

  function renderItem(comment) {
    const li = el("li", "item");
    li.comment = comment;
    li.dataset.id = comment.id;
    li.tabIndex = -1;
    if (comment.flags.length) li.classList.add("flagged");
    const meta = el("div", "meta");
    const box = pickBox(comment);
    const name = el("bdi", "name", comment.name);
    name.dir = comment.name_dir;
    // An address that could not be decrypted (logged on the server) reads as unavailable.
    const email = el("span", "email", comment.email_unavailable ? t("unavailable") : comment.email);
    email.dir = "ltr";
    const thread = el("bdi", "thread", comment.thread);
    const time = el("time", "time", new Date(comment.created_at).toLocaleString(state.lang));
    time.dateTime = comment.created_at;
    const history = el("span", "history");
    history.dir = "ltr";
    const { approved, rejected } = comment.author || { approved: 0, rejected: 0 };
    history.title = TEXT[state.lang].history(approved, rejected);
    history.append(el("span", "ok", `✓${approved}`), " ", el("span", "bad", `✗${rejected}`));
    meta.append(box, name, email, thread, time);
    if (comment.author) meta.append(history); // queue items carry the author's record
    if (comment.proven) meta.append(el("span", "verified", `✓ ${t("verified")}`));
    li.append(meta);
    if (comment.flags.length) {
      const flags = el("div", "flags");
      for (const flag of comment.flags) {
        const label = TEXT[state.lang].flag[flag.kind] || flag.kind;
        flags.append(el("span", "flag", flag.term ? `${label}: ${flag.term}` : label));
      }
      li.append(flags);
    }
    const body = el("div", "body");
    body.dir = comment.body_dir;
    body.innerHTML = comment.body_html; // sanitized by the server (moderation/text/render.py)
    highlight(body, comment.flags.map((f) => f.term).filter(Boolean));
    li.append(body);
    const actions = el("div", "actions");
    const button = (key, className, action) => {
      const b = el("button", className, t(key));
      b.type = "button";
      b.addEventListener("click", () => { state.current = comment.id; action(); });
      actions.append(b);
    };
    if (comment.report) {
      const { report } = comment;
      const words = TEXT[state.lang];
      const cats = report.categories.map((c) => words.cat[c] || c).join(state.lang === "ar" ? "، " : ", ");
      li.append(el("p", "reported", words.reportedBy(report.reporters, cats)));
      if (report.hidden) li.append(el("p", "decision", t("hidden")));
      for (const item of report.items) {
        if (!item.explanation) continue;
        const said = el("blockquote", "appeal", item.explanation);
        said.dir = "auto";
        const address = item.reporter_email_unavailable ? t("unavailable") : item.reporter_email;
        const who = el("small", "email", address ? ` — ${address}` : "");
        said.append(who);
        li.append(said);
      }
      button("keep", "approve", () => keepReported(comment.id));
      button("remove", "reject", () => askRemove(comment.id));
    } else if (comment.appeal) {
      const { appeal } = comment;
      const decision = appeal.decision;
      const reason = TEXT[state.lang][`r_${decision.reason}`] || decision.reason || "";
      li.append(el("p", "decision", TEXT[state.lang].decisionWas(reason, decision.decided_by)));
      if (decision.explanation) {
        const explained = el("p", "decision", decision.explanation);
        explained.dir = "auto";
        li.append(explained);
      }
      li.append(el("p", "appeal-by", t("appealBy")));
      const text = el("blockquote", "appeal", appeal.text);
      text.dir = "auto";
      li.append(text);
      button("uphold", "reject", () => decideAppeal(appeal.id, "upheld"));
      button("reverse", "approve", () => decideAppeal(appeal.id, "reversed"));
    } else if (comment.status === "approved") {
      button("takeDown", "reject", () => askReject([comment.id]));
    } else {
      button(comment.status === "pending" ? "approve" : "restore", "approve", () => decide([comment.id], "approve"));
      if (comment.status === "pending") {
        button("reject", "reject", () => askReject([comment.id]));
        button("spam", "reject", () => decide([comment.id], "reject", { reason: "spam" }));
      }
    }
    li.append(actions);
    li.addEventListener("click", () => { state.current = comment.id; markCurrent(false); });
    return li;
  }

  // Wraps the first occurrence of a flagged term in each text node in <mark>, text nodes only.
  // findHighlight (highlight.js) gives offsets into the node's own text.
  function highlight(root, terms) {
    if (!terms.length) return;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    for (const node of nodes) {
      const range = findHighlight(node.data, terms);
      if (range === null) continue;
      const match = node.splitText(range.start);
      match.splitText(range.end - range.start);
      const mark = el("mark", "", match.data);
      match.replaceWith(mark);
    }
  }

  function markCurrent(scroll) {
    for (const [id, li] of state.items) {
      const on = id === state.current;
      li.classList.toggle("current", on);
      if (on && scroll) { li.focus({ preventScroll: true }); li.scrollIntoView({ block: "nearest" }); }
    }
  }

  function move(step) {
    const ids = [...state.items.keys()];
    if (!ids.length) return;
    const index = Math.max(0, ids.indexOf(state.current));
    state.current = ids[Math.min(ids.length - 1, Math.max(0, index + step))];
    markCurrent(true);
  }

  // ---- decisions -------------------------------------------------------------------------
  async function decideAppeal(id, outcome) {
    const { ok, status } = await api("POST", `/v1/appeals/${id}/decide`, { outcome });
    announce(ok ? TEXT[state.lang].done(1, t(outcome === "reversed" ? "didApprove" : "didReject"))
      : status === 403 ? t("sameModerator") : t("failed"));
    await refresh();
  }

  async function keepReported(id) {
    const { ok } = await api("POST", `/v1/comments/${id}/reports/resolve`, { action: "keep" });
    announce(ok ? TEXT[state.lang].done(1, t("didKeep")) : t("failed"));
    await refresh();
  }

  // The reject dialog serves removal too: a reason, and an explanation the notifiers get.
  function askRemove(id) {
    const dialog = $("reject-dialog");
    $("note").value = "";
    $("explanation").value = "";
    dialog.returnValue = "";
    dialog.onclose = async () => {
      if (dialog.returnValue !== "ok") return;
      const explanation = $("explanation").value.trim();
      const { ok } = await api("POST", `/v1/comments/${id}/reports/resolve`, {
        action: "remove", reason: $("reason").value, ...(explanation ? { explanation } : {}),
      });
      announce(ok ? TEXT[state.lang].done(1, t("didRemove")) : t("failed"));
      await refresh();
    };
    dialog.showModal();
  }

  function askReject(ids) {
    const dialog = $("reject-dialog");
    $("note").value = "";
    $("explanation").value = "";
    dialog.returnValue = "";
    dialog.onclose = () => {
      if (dialog.returnValue !== "ok") return;
      const note = $("note").value.trim();
      const explanation = $("explanation").value.trim();
      decide(ids, "reject", {
        reason: $("reason").value, ...(note ? { note } : {}), ...(explanation ? { explanation } : {}),
      });
    };
    dialog.showModal();
    $("reason").focus();
  }

  async function decide(ids, action, extra = {}) {
    const done = [];
    const ordered = [...state.items.keys()];
    const after = ordered.slice(ordered.indexOf(ids[ids.length - 1]) + 1).find((id) => !ids.includes(id));
    await Promise.all(ids.map(async (id) => {
      const li = state.items.get(id);
      if (!li) return;
      const from = li.comment.status;
      const { ok, data } = await api("POST", `/v1/comments/${id}/${action}`, { ...extra, expected_status: from });
      if (ok) done.push({ id, from, to: data.status, comment: data });
    }));
    if (done.length < ids.length) announce(t("failed"));
    if (!done.length) return load();
    for (const { id } of done) {
      state.items.get(id)?.remove();
      state.items.delete(id);
      state.selected.delete(id);
    }
    if (state.counts) {
      for (const { from, to } of done) { state.counts[from] -= 1; state.counts[to] += 1; }
    }
    state.current = after ?? [...state.items.keys()].pop() ?? null;
    rebuild([...state.items.values()].map((li) => li.comment));
    renderCounts();
    const verb = action === "approve" ? t("didApprove") : t("didReject");
    offerUndo(done, TEXT[state.lang].done(done.length, verb));
    markCurrent(true);
  }

  function offerUndo(done, message) {
    state.last = done;
    clearTimeout(state.undoTimer);
    $("toast-text").textContent = message;
    $("undo").hidden = false;
    $("toast").hidden = false;
    state.undoTimer = setTimeout(() => { state.last = null; $("toast").hidden = true; }, UNDO_MS);
  }

  // Undo flips the decision while the comment is still as we left it (expected_status):
  // an approval becomes a rejection and the other way round, audited and announced.
  async function undo() {
    const last = state.last;
    if (!last) return;
    state.last = null;
    clearTimeout(state.undoTimer);
    await Promise.all(last.map(({ id, to }) => {
      const body = to === "approved"
        ? { expected_status: to, reason: "other", note: "undo" }
        : { expected_status: to, note: "undo" };
      return api("POST", `/v1/comments/${id}/${to === "approved" ? "reject" : "approve"}`, body);
    }));
    announce(t("undone"));
    await load();
  }

  function announce(message) {
    clearTimeout(state.undoTimer);
    $("toast-text").textContent = message;
    $("undo").hidden = true;
    $("toast").hidden = false;
    state.undoTimer = setTimeout(() => { $("toast").hidden = true; }, 4000);
  }

  function currentAction(key) {
    const li = state.items.get(state.current);
    if (!li) return;
    const { id, status } = li.comment;
    if (li.comment.appeal) return; // appeals are decided with their own buttons
    if (li.comment.report) {
      if (key === "k") keepReported(id);
      else if (key === "r") askRemove(id);
      return;
    }
    if (key === "a" && status !== "approved") decide([id], "approve");
    else if (key === "r") askReject([id]);
    else if (key === "s" && status === "pending") decide([id], "reject", { reason: "spam" });
    else if (key === "x") {
      const box = li.querySelector(".pick");
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change"));
    }
  }

  function onKey(event) {
    if (!state.session || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, dialog")) return;
    if (document.querySelector("dialog[open]")) return;
    const key = event.key;
    if (key === "j") move(1);
    else if (key === "k" && state.status === "reports") currentAction(key);
    else if (key === "k" || (key === "p" && state.status === "reports")) move(-1);
    else if (key === "u") undo();
    else if (key === "?") $("keys-dialog").showModal();
    else if ("arsx".includes(key) && key.length === 1) currentAction(key);
    else return;
    event.preventDefault();
  }

  // ---- wiring ----------------------------------------------------------------------------
  function wire() {
    $("sign-in").addEventListener("submit", async (event) => {
      event.preventDefault();
      const token = $("token").value.trim();
      $("token").value = "";
      const response = await fetch("/moderate/session", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ token }),
      });
      if (!response.ok) { $("sign-in-error").textContent = t("badToken"); return; }
      $("sign-in-error").textContent = "";
      await start(await response.json());
    });
    $("sign-out").addEventListener("click", async () => {
      await api("DELETE", "/moderate/session").catch(() => {});
      state.items.clear();
      $("queue").replaceChildren();
      showSignIn();
    });
    $("language").addEventListener("click", () => {
      state.lang = state.lang === "ar" ? "en" : "ar";
      localStorage.setItem("moderation.lang", state.lang);
      applyLanguage();
    });
    for (const button of $("tabs").querySelectorAll("button")) {
      button.addEventListener("click", () => { state.status = button.dataset.status; load(); });
    }
    $("thread-filter").addEventListener("change", () => load());
    $("flagged-first").addEventListener("change", () => load());
    $("select-all").addEventListener("change", () => {
      const on = $("select-all").checked;
      for (const [id, li] of state.items) {
        li.querySelector(".pick").checked = on;
        if (on) state.selected.add(id); else state.selected.delete(id);
      }
    });
    $("bulk-approve").addEventListener("click", () => {
      const ids = [...state.selected].filter((id) => state.items.get(id)?.comment.status !== "approved");
      if (ids.length) decide(ids, "approve");
    });
    $("bulk-reject").addEventListener("click", () => { if (state.selected.size) askReject([...state.selected]); });
    $("show-keys").addEventListener("click", () => $("keys-dialog").showModal());
    $("undo").addEventListener("click", undo);
    document.addEventListener("keydown", onKey);
  }

  async function boot() {
    wire();
    applyLanguage();
    const response = await fetch("/moderate/session", { credentials: "same-origin" });
    if (response.ok) await start(await response.json());
    else showSignIn();
  }
  boot();
})();
