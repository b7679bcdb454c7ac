// Learning administration: show only the field of the chosen assignment target.
(function () {
  "use strict";
  document.querySelectorAll("[data-assign-form]").forEach(function (form) {
    function sync() {
      var checked = form.querySelector("input[type=radio]:checked");
      var target = checked ? checked.value : "person";
      form.querySelectorAll("[data-assign-target]").forEach(function (box) {
        box.hidden = box.dataset.assignTarget !== target;
      });
    }
    form.addEventListener("change", sync);
    sync();
  });
})();
