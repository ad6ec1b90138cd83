namespace Strata.Server.WebConsole;

/// <summary>The shared page frame, the console's CSS and its one script (upload), embedded: nothing is fetched at run time.</summary>
internal static class Layout
{
    public static string Page(string title, string body, bool authEnabled, string? repo = null)
    {
        var nav = repo is null ? "" :
            $" <span aria-hidden=\"true\">/</span> <a href=\"{Html.E(Html.RepoUrl(repo))}\">{Html.E(repo)}</a>";
        var logout = authEnabled ? Html.PostButton("/logout", "Log out", cls: "link") : "";
        return $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{Html.E(title)}} · Strata</title>
            <link rel="stylesheet" href="/static/console.css">
            <script src="/static/console.js" defer></script>
            </head>
            <body>
            <header><nav aria-label="site"><a href="/" class="brand">Strata</a>{{nav}}</nav>{{logout}}</header>
            <main>
            <h1>{{Html.E(title)}}</h1>
            {{body}}
            </main>
            </body>
            </html>
            """;
    }

    public static string Error(string message) => $"<p class=\"error\" role=\"alert\">{Html.E(message)}</p>";

    public const string Css = """
        :root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg2: #f6f8fa; --accent: #0a58ca; --add: #e6ffec; --del: #ffebe9; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); }
        header { display: flex; justify-content: space-between; align-items: center; padding: .5rem 1rem; border-bottom: 1px solid var(--line); background: var(--bg2); }
        header .brand { font-weight: 700; }
        main { padding: 1rem; max-width: 1200px; }
        h1 { font-size: 1.4rem; margin: .2rem 0 1rem; word-break: break-all; }
        h2 { font-size: 1.1rem; margin-top: 1.5rem; }
        a { color: var(--accent); text-decoration: none; }
        a:hover, a:focus { text-decoration: underline; }
        table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
        th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: var(--bg2); font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        code, pre { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
        pre { background: var(--bg2); padding: .6rem; overflow: auto; border: 1px solid var(--line); max-height: 70vh; }
        form.inline { display: inline; }
        form.row { display: flex; gap: .5rem; flex-wrap: wrap; align-items: end; margin: .5rem 0; }
        label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
        input, select, button { font: inherit; padding: .25rem .5rem; }
        button { cursor: pointer; border: 1px solid var(--line); background: #fff; border-radius: 4px; }
        button.danger { color: #b42318; }
        button.link { border: 0; background: none; color: var(--accent); }
        .muted { color: var(--muted); }
        .error { color: #b42318; font-weight: 600; }
        .ok { color: #1a7f37; }
        .crumbs { margin: .3rem 0 .8rem; word-break: break-all; }
        .add { color: #1a7f37; } .mod { color: #9a6700; } .del { color: #b42318; }
        .diff { border: 1px solid var(--line); margin: .5rem 0; overflow: auto; }
        .diff div { white-space: pre; font: 13px/1.35 ui-monospace, "DejaVu Sans Mono", monospace; padding: 0 .5rem; }
        .diff .l-add { background: var(--add); } .diff .l-del { background: var(--del); } .diff .l-gap { color: var(--muted); background: var(--bg2); }
        .dropzone { border: 2px dashed var(--line); padding: 1rem; text-align: center; border-radius: 6px; }
        .dropzone label { display: inline-flex; flex-direction: row; gap: .4rem; align-items: center; color: var(--fg); font-size: 1rem; }
        table.meta th { width: 10rem; }
        .dropzone.over { border-color: var(--accent); background: #eef5ff; }
        progress { width: 100%; }
        img.preview { max-width: 100%; max-height: 70vh; border: 1px solid var(--line); }
        .pager { margin: .8rem 0; }
        .badge { font-size: .8rem; padding: 0 .4rem; border: 1px solid var(--line); border-radius: 1rem; }
        """;

    /// <summary>Drag-and-drop upload with a progress bar: each file is sent as the raw body of one POST (streamed by the server).</summary>
    public const string Js = """
        "use strict";
        document.addEventListener("DOMContentLoaded", function () {
          var box = document.getElementById("upload");
          if (!box) return;
          var zone = document.getElementById("dropzone"), input = document.getElementById("upload-input");
          var bar = document.getElementById("upload-progress"), status = document.getElementById("upload-status");
          function send(files) {
            var list = Array.prototype.slice.call(files), total = 0, done = 0, i = 0;
            list.forEach(function (f) { total += f.size; });
            if (!list.length) return;
            bar.hidden = false; bar.value = 0;
            function next() {
              if (i >= list.length) { status.textContent = "Uploaded " + list.length + " file(s)."; location.reload(); return; }
              var f = list[i++], xhr = new XMLHttpRequest();
              xhr.open("POST", box.dataset.action + "&path=" + encodeURIComponent(box.dataset.dir + f.name));
              xhr.setRequestHeader("Content-Type", f.type || "application/octet-stream");
              xhr.upload.onprogress = function (e) { if (total > 0) bar.value = Math.round(100 * (done + e.loaded) / total); };
              xhr.onload = function () {
                if (xhr.status >= 200 && xhr.status < 300) { done += f.size; status.textContent = "Uploaded " + f.name; next(); }
                else status.textContent = "Upload of " + f.name + " failed: " + xhr.status + " " + xhr.responseText;
              };
              xhr.onerror = function () { status.textContent = "Upload of " + f.name + " failed: network error"; };
              status.textContent = "Uploading " + f.name + "…";
              xhr.send(f);
            }
            next();
          }
          zone.addEventListener("dragover", function (e) { e.preventDefault(); zone.classList.add("over"); });
          zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
          zone.addEventListener("drop", function (e) { e.preventDefault(); zone.classList.remove("over"); send(e.dataTransfer.files); });
          input.addEventListener("change", function () { send(input.files); });
        });
        """;
}
