/// The page's own stylesheet and script, served from the binary (nothing is fetched
/// from anywhere else).
enum DashboardAssets {
    static let css = """
        :root { color-scheme: light dark; --dim: #777; --line: #8884; --dead: #c33; }
        body { font: 14px/1.4 system-ui, sans-serif; margin: 0; }
        header { display: flex; gap: 1em; align-items: baseline; padding: .6em 1.2em; border-bottom: 1px solid var(--line); }
        header h1 { font-size: 1.2em; margin: 0; }
        .path { color: var(--dim); font-family: ui-monospace, monospace; }
        #live { margin-left: auto; color: var(--dim); }
        #live.on { color: #2a2; }
        main { padding: 0 1.2em 2em; }
        h2 { font-size: 1.05em; margin: 1.4em 0 .4em; }
        h3 { font-size: 1em; margin: 1.2em 0 .3em; }
        table { border-collapse: collapse; min-width: 40em; }
        th, td { padding: .25em .8em .25em 0; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
        th { font-weight: 600; color: var(--dim); }
        td.n, th.n { text-align: right; }
        td.dead { color: var(--dead); font-weight: 600; }
        .empty, .counts, .size { color: var(--dim); }
        .body, .hex { font-family: ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
        .actions { display: flex; gap: .6em; margin: .3em 0 .6em; }
        .actions form { margin: 0; }
        button { font: inherit; padding: .2em .8em; cursor: pointer; }
        button.danger { color: var(--dead); }
        """

    static let javascript = """
        "use strict";
        // Redraws the parts the server renders after each change of the store, as told by
        // its server-sent events; nothing is rendered here from store data.
        const live = document.getElementById("live");
        const events = new EventSource("/events");
        events.addEventListener("ready", () => { live.textContent = "live"; live.className = "on"; });
        events.onerror = () => { live.textContent = "reconnecting…"; live.className = ""; };
        events.addEventListener("overview", (event) => {
          const parts = JSON.parse(event.data);
          for (const id of ["queues", "streams", "schedules", "locks"]) {
            const element = document.getElementById(id);
            if (element && typeof parts[id] === "string") element.innerHTML = parts[id];
          }
          const detail = document.getElementById("detail");
          if (detail) {
            fetch("/queue?fragment=1&name=" + encodeURIComponent(detail.dataset.queue))
              .then((response) => response.ok ? response.text() : Promise.reject(response.status))
              .then((html) => { detail.innerHTML = html; confirmations(); })
              .catch(() => {});
          }
        });
        function confirmations() {
          for (const form of document.querySelectorAll("form[data-confirm]")) {
            form.onsubmit = () => window.confirm(form.dataset.confirm);
          }
        }
        confirmations();
        """
}
