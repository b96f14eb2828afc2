// The import page's progress bar (docs/workspace.md §3.2): the only script of the workspace.
// Without it the form posts as usual; with it the same form data goes by XMLHttpRequest so the
// upload's progress can be shown, and the answer (the same page) replaces this one.
"use strict";
(function () {
  var form = document.getElementById("import-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var bar = document.getElementById("import-progress");
  var status = document.getElementById("import-status");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    bar.hidden = false;
    bar.value = 0;
    status.textContent = "正在上传……";
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        bar.value = Math.floor((e.loaded * 100) / e.total);
        status.textContent = "已上传 " + bar.value + "%";
      }
    };
    xhr.upload.onload = function () {
      bar.removeAttribute("value");
      status.textContent = "上传完成，正在检查并导入……";
    };
    xhr.onload = function () {
      document.open();
      document.write(xhr.responseText);
      document.close();
    };
    xhr.onerror = function () {
      status.textContent = "上传失败：网络中断。没有导入任何数据，请重试。";
    };
    xhr.send(new FormData(form));
  });
})();
