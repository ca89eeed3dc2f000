// Week calendar of a caseworker or a team; events come as JSON from the workspace.
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("calendar");
  if (!el || !window.FullCalendar) { return; }
  var lang = document.documentElement.lang === "en" ? "en-gb" : "da";
  // On a phone the 5-day week is five slivers: show one day at a time, the week a tap away.
  var narrow = window.matchMedia("(max-width: 40rem)").matches;
  var calendar = new FullCalendar.Calendar(el, {
    initialView: narrow ? "timeGridDay" : "timeGridWeek",
    initialDate: el.dataset.initial,
    locale: lang,
    firstDay: 1,
    weekends: false,
    weekNumbers: true,
    nowIndicator: true,
    slotMinTime: "07:00:00",
    slotMaxTime: "17:00:00",
    slotDuration: "00:15:00",
    slotLabelInterval: "01:00",
    slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    allDaySlot: true,
    expandRows: true,
    height: "auto",
    headerToolbar: narrow
      ? { left: "prev,next", center: "title", right: "timeGridDay,timeGridWeek" }
      : { left: "prev,next today", center: "title", right: "timeGridWeek,timeGridDay" },
    // Words ("Forrige", "Næste"), not chevron icons without a text alternative.
    buttonIcons: false,
    events: { url: el.dataset.events },
    dateClick: function (info) {
      // Why is this time not free?: the reasons, in order, in the panel below.
      if (!el.dataset.why || !window.plannerWhy || info.allDay) { return; }
      window.plannerWhy(el.dataset.why + "&at=" + encodeURIComponent(info.dateStr.slice(0, 19)));
    },
    eventDidMount: function (info) {
      var room = info.event.extendedProps.room;
      if (info.event.display !== "background") {
        info.el.setAttribute("title", info.event.title + (room ? " · " + room : ""));
      }
    },
    datesSet: function (info) {
      // Keep the shown week in the address, so reload and back return to it.
      var url = new URL(window.location.href);
      url.searchParams.set("date", info.startStr.slice(0, 10));
      window.history.replaceState(null, "", url);
      // The toolbar's "Vis" keeps the week shown when another calendar is chosen.
      var shown = document.querySelector("#calendar-choice input[name=date]");
      if (shown) { shown.value = info.startStr.slice(0, 10); }
    }
  });
  // FullCalendar's arrow icons are role="img" without a name; the buttons carry the name.
  function quietIcons() {
    el.querySelectorAll(".fc-icon:not([aria-hidden])").forEach(function (icon) {
      icon.setAttribute("aria-hidden", "true");
    });
  }
  new MutationObserver(quietIcons).observe(el, { childList: true, subtree: true });
  calendar.render();
  quietIcons();
});
