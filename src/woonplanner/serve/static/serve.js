// woonplanner serve: the little the pages need beyond plain HTML forms.
// Progress of a job is polled (GET /api/jobs/ID?since=N) and appended to the log; when the job
// finishes the page reloads, and the server shows its outcome. Cancel posts without leaving.
"use strict";

function autoload() {
  for (const select of document.querySelectorAll("select[data-autoload]")) {
    select.addEventListener("change", () => select.form.submit());
  }
}

function followJob() {
  const job = document.getElementById("job");
  if (!job || job.dataset.state === "finished") return;
  const log = document.getElementById("log");
  let next = Number(job.dataset.next || 0);
  async function poll() {
    let data;
    try {
      const response = await fetch(`/api/jobs/${job.dataset.id}?since=${next}`,
                                   {headers: {Accept: "application/json"}});
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      data = await response.json();
    } catch (err) {
      // The server stopped (or restarts): say so and try again a little later.
      job.dataset.offline = "true";
      setTimeout(poll, 2000);
      return;
    }
    delete job.dataset.offline;
    if (data.lines.length) {
      const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.textContent += data.lines.map(line => line + "\n").join("");
      if (atEnd) log.scrollTop = log.scrollHeight;
    }
    next = data.next;
    if (data.state !== job.dataset.state) {
      if (data.state === "finished" || job.dataset.state === "queued") {
        window.location.reload();
        return;
      }
    }
    setTimeout(poll, 500);
  }
  const form = document.getElementById("cancel-form");
  if (form) {
    form.addEventListener("submit", async event => {
      event.preventDefault();
      const button = form.querySelector("button");
      button.disabled = true;
      button.textContent = "Cancelling …";
      await fetch(form.action, {method: "POST", headers: {Accept: "application/json"}});
    });
  }
  setTimeout(poll, 300);
}

function limitCompare() {
  const form = document.getElementById("compare-form");
  if (!form) return;
  const button = document.getElementById("compare-button");
  const update = () => {
    const n = form.querySelectorAll("input[name=run]:checked").length;
    button.disabled = n < 2 || n > 4;
  };
  form.addEventListener("change", update);
  update();
}

document.addEventListener("DOMContentLoaded", () => {
  autoload();
  followJob();
  limitCompare();
});
