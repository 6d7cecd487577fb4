// The comment widget: <script src=".../embed.js" data-site="SLUG" data-thread="KEY" async>.
// Renders into its own shadow root, loads nothing from third parties, sets no cookies.
// User text goes in with textContent; only body_html (sanitized by the server) is parsed.
(() => {
  "use strict";
  const TEXT = {
    en: {
      heading: "Comments", none: "No comments yet.", reply: "Reply", cancelReply: "Cancel reply",
      replyTo: "Replying to", name: "Name", email: "Email", website: "Website",
      comment: "Comment", submit: "Post comment", sending: "Sending…",
      note: "Your email address will not be published. Required fields are marked *",
      pending: "Thank you. Your comment is awaiting moderation.",
      approved: "Thank you. Your comment is published.",
      invalid: "Please correct the marked fields.", failed: "The comment could not be sent. Please try again.",
      duplicate: "You have already posted this comment.", tooMany: "Too many comments; please try again later.",
      loadFailed: "Comments could not be loaded.",
      notify: "Email me when my comment is published or answered",
      unverified: "Thank you. Please check your email: your comment is published for moderation once you confirm your address.",
      confirmed: "Your email address is confirmed. Your next comments will be recognised as yours.",
      report: "Report", reportCategory: "What is wrong?", reportExplanation: "Explain why",
      reportEmail: "Your email, for the receipt and the decision (optional)",
      goodFaith: "I believe in good faith that this notice is accurate and complete",
      sendReport: "Send report", reported: "Thank you. Your report was received; its reference is",
      reportTooMany: "Too many reports; please try again later.",
      categories: {
        illegal_content: "Illegal content", hate_speech: "Hate speech", harassment: "Harassment",
        violence_or_threat: "Violence or a threat", privacy: "A breach of privacy",
        misinformation: "Misinformation", spam: "Spam", other: "Something else",
      },
    },
    ar: {
      heading: "التعليقات", none: "لا توجد تعليقات بعد.", reply: "رد", cancelReply: "إلغاء الرد",
      replyTo: "ردًا على", name: "الاسم", email: "البريد الإلكتروني", website: "الموقع",
      comment: "التعليق", submit: "أرسل التعليق", sending: "جارٍ الإرسال…",
      note: "لن يتم نشر عنوان بريدك الإلكتروني. الحقول الإلزامية مشار إليها بـ *",
      pending: "شكرًا لك. تعليقك بانتظار المراجعة.",
      approved: "شكرًا لك. نُشر تعليقك.",
      invalid: "يرجى تصحيح الحقول المشار إليها.", failed: "تعذّر إرسال التعليق. حاول مرة أخرى.",
      duplicate: "سبق أن أرسلت هذا التعليق.", tooMany: "تعليقات كثيرة؛ حاول لاحقًا.",
      loadFailed: "تعذّر تحميل التعليقات.",
      notify: "راسلني عند نشر تعليقي أو الرد عليه",
      unverified: "شكرًا لك. يرجى مراجعة بريدك: يُرسل تعليقك إلى المراجعة بعد تأكيد عنوانك.",
      confirmed: "تم تأكيد عنوان بريدك. ستُعرف تعليقاتك التالية بأنها منك.",
      report: "إبلاغ", reportCategory: "ما المشكلة؟", reportExplanation: "اشرح السبب",
      reportEmail: "بريدك الإلكتروني لإيصال الاستلام والقرار (اختياري)",
      goodFaith: "أقرّ بحسن نية بأن هذا البلاغ دقيق وكامل",
      sendReport: "أرسل البلاغ", reported: "شكرًا لك. تلقّينا بلاغك، ورقمه المرجعي",
      reportTooMany: "بلاغات كثيرة؛ حاول لاحقًا.",
      categories: {
        illegal_content: "محتوى غير قانوني", hate_speech: "خطاب كراهية", harassment: "تحرّش",
        violence_or_threat: "عنف أو تهديد", privacy: "انتهاك الخصوصية",
        misinformation: "معلومات مضلّلة", spam: "رسائل مزعجة", other: "سبب آخر",
      },
    },
  };
  const CSS = `
:host{all:initial;display:block;font-family:inherit;font-size:inherit;color:inherit;line-height:1.6}
*{box-sizing:border-box}
.c{margin-block:1.5rem;font-size:1rem}
h2{font-size:1.3em;margin-block:0 .75em}
ol{list-style:none;margin:0;padding:0}
ol ol{margin-inline-start:1.5rem;padding-inline-start:1rem;border-inline-start:2px solid #ddd}
article{padding-block:.6rem;border-block-end:1px solid #eee}
header{display:flex;gap:.75rem;align-items:baseline;flex-wrap:wrap}
.n{font-weight:700}
time{color:#666;font-size:.85em}
.b{overflow-wrap:anywhere}
.b p{margin-block:.3em}
button{font:inherit;cursor:pointer;border:1px solid #bbb;background:#fff;border-radius:4px;padding-block:.2rem;padding-inline:.6rem}
.r{font-size:.85em;border:0;background:none;color:#0a5cad;padding:0}
form{display:grid;gap:.6rem;margin-block-start:1rem}
label{display:grid;gap:.2rem;font-weight:600}
input,textarea{font:inherit;padding:.4rem;border:1px solid #bbb;border-radius:4px;inline-size:100%}
[aria-invalid=true]{border-color:#b42318}
.e{color:#b42318;font-weight:400;font-size:.9em;min-block-size:0}
.e:empty{display:none}
.s{padding:.6rem;border-radius:4px;background:#eef6ee}
.s:empty{display:none}
.s.x{background:#fdecea}
.h{position:absolute;inline-size:1px;block-size:1px;overflow:hidden;clip-path:inset(50%)}
.note{color:#555;font-size:.9em;margin:0}
.to{font-size:.9em}
.k{display:flex;gap:.4rem;align-items:center;font-weight:400}
.k input{inline-size:auto}
.a{display:flex;gap:1rem}
.f{color:#8a1c1c}
.rp{padding:.6rem;border:1px solid #eee;border-radius:4px}
select{font:inherit;padding:.3rem}
`;

  const script = document.currentScript
    || document.querySelector('script[src*="embed.js"][data-site]:not([data-mounted])');
  if (!script) return;
  script.dataset.mounted = "";
  const site = script.dataset.site;
  const thread = script.dataset.thread || location.pathname;
  const base = new URL(script.src, location.href).origin;
  const pageLang = (script.dataset.lang || document.documentElement.lang || "en").toLowerCase();
  const lang = TEXT[pageLang.split("-")[0]] ? pageLang.split("-")[0] : "en";
  const text = TEXT[lang];
  const api = `${base}/v1/sites/${encodeURIComponent(site)}/comments`;

  // The author token: given once the address is confirmed (the confirmation page comes back
  // here with it in the fragment, which no server sees), kept in this page's storage, and sent
  // with later posts so they are proven to come from the address's owner.
  const tokenKey = `moderation:${base}:${site}:author-token`;
  const store = (() => { try { return window.localStorage; } catch { return null; } })();
  let confirmedNow = false;
  const given = /(?:^#|&)moderation-author-token=([A-Za-z0-9_.-]{1,100})/.exec(location.hash);
  if (given) {
    try { store && store.setItem(tokenKey, given[1]); } catch { /* storage full or blocked */ }
    history.replaceState(null, "", location.pathname + location.search);
    confirmedNow = true;
  }
  const authorToken = () => { try { return store && store.getItem(tokenKey); } catch { return null; } };

  const host = document.createElement("div");
  host.className = "moderation-comments";
  script.after(host);
  const root = host.attachShadow({ mode: "open" });
  // A constructed stylesheet is not inline style: it works under a host page's strict CSP.
  if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    const style = document.createElement("style");
    style.textContent = CSS;
    root.append(style);
  }

  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key in node && typeof node[key] !== "function") node[key] = value;
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  };

  const box = el("section", { className: "c", lang, dir: lang === "ar" ? "rtl" : "ltr" });
  box.setAttribute("aria-labelledby", "mc-h");
  const list = el("ol");
  const empty = el("p", { className: "none" }, text.none);
  const live = el("div", { className: "s", role: "status" });
  live.setAttribute("aria-live", "polite");
  box.append(el("h2", { id: "mc-h" }, text.heading), empty, list);
  root.append(box);

  // ---- the thread ------------------------------------------------------------------------
  const shown = new Map();
  const fmt = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });

  function renderComment(c) {
    const name = el("bdi", { className: "n", dir: c.name_dir });
    if (c.website) {
      name.append(el("a", { href: c.website, rel: "nofollow ugc noopener", dir: c.name_dir }, c.name));
    } else {
      name.textContent = c.name;
    }
    const time = el("time", { dateTime: c.created_at }, fmt.format(new Date(c.created_at)));
    const body = el("div", { className: "b", dir: c.body_dir });
    body.innerHTML = c.body_html; // sanitized by the server: allowlisted tags, safe links
    const reply = el("button", { type: "button", className: "r" }, text.reply);
    reply.addEventListener("click", () => replyTo(c, item));
    const flag = el("button", { type: "button", className: "r f" }, text.report);
    flag.addEventListener("click", () => toggleReport(c, item));
    const actions = el("div", { className: "a" }, reply, flag);
    const item = el("li", { id: `comment-${c.id}` }, el("article", {}, el("header", {}, name, time), body, actions));
    return item;
  }

  function add(c) {
    if (shown.has(c.id)) return;
    const item = renderComment(c);
    const parent = c.parent_id && shown.get(c.parent_id);
    let target = list;
    if (parent) {
      target = parent.querySelector(":scope > ol") || parent.appendChild(el("ol"));
    }
    target.append(item);
    shown.set(c.id, item);
    empty.hidden = true;
  }

  async function load() {
    let cursor = null;
    for (let page = 0; page < 10; page += 1) {
      const query = new URLSearchParams({ thread, limit: "200" });
      if (cursor) query.set("cursor", cursor);
      const response = await fetch(`${api}?${query}`, { credentials: "omit" });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      data.items.forEach(add);
      cursor = data.next_cursor;
      if (!cursor) break;
    }
  }

  // ---- the form --------------------------------------------------------------------------
  const fields = {};
  const errors = {};
  function field(name, label, control, required) {
    const id = `mc-${name}`;
    control.id = id;
    control.name = name;
    control.required = required;
    const error = el("span", { className: "e", id: `${id}-e` });
    control.setAttribute("aria-describedby", error.id);
    fields[name] = control;
    errors[name] = error;
    return el("label", { htmlFor: id }, required ? `${label} *` : label, control, error);
  }
  const form = el("form", { method: "post", action: api, noValidate: true });
  const replyNote = el("p", { className: "to", hidden: true });
  const cancel = el("button", { type: "button", className: "r" }, text.cancelReply);
  replyNote.hidden = true;
  const parentInput = el("input", { type: "hidden", name: "parent_id", value: "" });
  const honeypot = el("input", { type: "text", name: "url", tabIndex: -1, autocomplete: "off" });
  const submit = el("button", { type: "submit" }, text.submit);
  const notify = el("input", { type: "checkbox", name: "notify", id: "mc-notify" });
  const notifyLabel = el("label", { className: "k", htmlFor: "mc-notify" }, notify, text.notify);
  form.append(
    replyNote,
    el("p", { className: "note" }, text.note),
    field("name", text.name, el("input", { type: "text", autocomplete: "name", maxLength: 100, dir: "auto" }), true),
    field("email", text.email, el("input", { type: "email", autocomplete: "email", maxLength: 254, dir: "ltr" }), true),
    field("website", text.website, el("input", { type: "url", autocomplete: "url", maxLength: 1000, dir: "ltr" }), false),
    field("body", text.comment, el("textarea", { rows: 6, maxLength: 10000, dir: "auto" }), true),
    notifyLabel,
    el("div", { className: "h", "aria-hidden": "true" }, el("label", {}, "URL", honeypot)),
    parentInput,
    live,
    el("div", {}, submit),
  );
  box.append(form);

  function replyTo(c, item) {
    parentInput.value = c.id;
    replyNote.replaceChildren(`${text.replyTo} `, el("bdi", { dir: c.name_dir }, c.name), " ", cancel);
    replyNote.hidden = false;
    item.querySelector("article").after(form);
    fields.body.focus();
  }
  cancel.addEventListener("click", () => {
    parentInput.value = "";
    replyNote.hidden = true;
    box.append(form);
  });

  function say(message, bad) {
    live.className = bad ? "s x" : "s";
    live.textContent = "";
    live.textContent = message;
  }

  function clearErrors() {
    for (const name of Object.keys(errors)) {
      errors[name].textContent = "";
      fields[name].removeAttribute("aria-invalid");
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const payload = { thread };
    for (const name of ["name", "email", "website", "body"]) payload[name] = fields[name].value;
    if (!payload.website) delete payload.website;
    if (parentInput.value) payload.parent_id = parentInput.value;
    if (honeypot.value) payload.url = honeypot.value;
    if (notify.checked) payload.notify = true;
    payload.page_url = location.origin + location.pathname + location.search;
    const token = authorToken();
    if (token) payload.author_token = token;
    submit.disabled = true;
    submit.textContent = text.sending;
    try {
      const response = await fetch(api, {
        method: "POST", credentials: "omit",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(payload),
      });
      const data = await response.json().catch(() => ({}));
      if (response.status === 202) {
        fields.body.value = "";
        if (data.status === "approved") { add(data); say(text.approved); }
        else say(data.status === "unverified" ? text.unverified : text.pending);
        if (parentInput.value) cancel.click();
      } else if (response.status === 422 && Array.isArray(data.errors)) {
        let first = null;
        for (const { field: name, message } of data.errors) {
          if (!fields[name]) continue;
          errors[name].textContent = message;
          fields[name].setAttribute("aria-invalid", "true");
          first = first || fields[name];
        }
        say(text.invalid, true);
        if (first) first.focus();
      } else if (response.status === 409) say(text.duplicate, true);
      else if (response.status === 429) say(text.tooMany, true);
      else say(text.failed, true);
    } catch {
      say(text.failed, true);
    } finally {
      submit.disabled = false;
      submit.textContent = text.submit;
    }
  });

  // ---- reporting a comment (DSA Art. 16 notice) ------------------------------------------
  function toggleReport(c, item) {
    const open = item.querySelector(":scope > .rp");
    if (open) { open.remove(); return; }
    const errs = {};
    const controls = {};
    function row(name, label, control) {
      const id = `mc-r${c.id}-${name}`;
      control.id = id;
      control.name = name;
      const error = el("span", { className: "e", id: `${id}-e` });
      control.setAttribute("aria-describedby", error.id);
      controls[name] = control;
      errs[name] = error;
      return el("label", { htmlFor: id }, label, control, error);
    }
    const category = el("select", {});
    for (const [value, label] of Object.entries(text.categories)) {
      category.append(el("option", { value }, label));
    }
    const faith = el("input", { type: "checkbox" });
    const faithRow = row("good_faith", "", faith);
    faithRow.className = "k";
    faithRow.replaceChildren(faith, text.goodFaith, errs.good_faith);
    const trap = el("input", { type: "text", name: "url", tabIndex: -1, autocomplete: "off" });
    const status = el("div", { className: "s", role: "status" });
    status.setAttribute("aria-live", "polite");
    const send = el("button", { type: "submit" }, text.sendReport);
    const panel = el("form", { className: "rp", noValidate: true },
      row("category", text.reportCategory, category),
      row("explanation", text.reportExplanation, el("textarea", { rows: 3, maxLength: 2000, dir: "auto" })),
      row("reporter_email", text.reportEmail, el("input", { type: "email", autocomplete: "email", maxLength: 254, dir: "ltr" })),
      faithRow,
      el("div", { className: "h", "aria-hidden": "true" }, el("label", {}, "URL", trap)),
      status,
      el("div", {}, send),
    );
    const showFaith = () => { faithRow.hidden = category.value !== "illegal_content"; };
    category.addEventListener("change", showFaith);
    showFaith();
    function tell(message, bad) {
      status.className = bad ? "s x" : "s";
      status.textContent = message;
    }
    panel.addEventListener("submit", async (event) => {
      event.preventDefault();
      for (const name of Object.keys(errs)) {
        errs[name].textContent = "";
        controls[name].removeAttribute("aria-invalid");
      }
      const payload = { category: category.value };
      if (controls.explanation.value) payload.explanation = controls.explanation.value;
      if (controls.reporter_email.value) payload.reporter_email = controls.reporter_email.value;
      if (category.value === "illegal_content") payload.good_faith = faith.checked;
      if (trap.value) payload.url = trap.value;
      send.disabled = true;
      try {
        const response = await fetch(`${base}/v1/comments/${encodeURIComponent(c.id)}/reports`, {
          method: "POST", credentials: "omit",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(payload),
        });
        const data = await response.json().catch(() => ({}));
        if (response.status === 202) {
          panel.replaceChildren(status);
          tell("");
          status.append(`${text.reported} `, el("bdi", { dir: "ltr" }, data.reference), ".");
        } else if (response.status === 422 && Array.isArray(data.errors)) {
          for (const { field: name, message } of data.errors) {
            if (!errs[name]) continue;
            errs[name].textContent = message;
            controls[name].setAttribute("aria-invalid", "true");
          }
          tell(text.invalid, true);
        } else tell(response.status === 429 ? text.reportTooMany : text.failed, true);
      } catch {
        tell(text.failed, true);
      } finally {
        send.disabled = false;
      }
    });
    item.querySelector("article").after(panel);
    category.focus();
  }

  // Back from the form posted without JavaScript (303 to this page with a status fragment).
  const status = /(?:^#|&)comment-status=(\w+)/.exec(location.hash);
  if (status) say(status[1] === "approved" ? text.approved : text.pending);
  if (confirmedNow) say(text.confirmed);

  load().catch(() => say(text.loadFailed, true));
})();
