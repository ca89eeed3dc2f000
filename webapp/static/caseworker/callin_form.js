// The call-in form: the chosen team's caseworkers only, "Fixed time" only for a fixed
// time, the group meeting's box only for a group meeting. The server renders the same state.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("callin-form");
  if (!form) { return; }
  var team = form.querySelector("#team_id");
  var distribution = form.querySelector("#distribution");
  var meetingForm = form.querySelector("#meeting_form");
  var moreSessions = form.querySelector("#more_sessions");

  function showTeam() {
    var chosen = team.value;
    var shown = 0;
    form.querySelectorAll("#caseworker_ids label[data-teams]").forEach(function (label) {
      var box = label.querySelector("input");
      var member = !chosen || label.dataset.teams.split(" ").indexOf(chosen) >= 0;
      label.hidden = !member;
      if (!member) { box.checked = false; } else { shown += 1; }
    });
    document.getElementById("no-team-caseworkers").hidden = !chosen || shown > 0;
  }
  function showDistribution() {
    form.querySelectorAll("[data-when-distribution]").forEach(function (field) {
      field.hidden = field.dataset.whenDistribution !== distribution.value;
    });
  }
  function showMeetingForm(changed) {
    var group = meetingForm.value === "group";
    form.querySelectorAll("[data-when-meeting-form]").forEach(function (field) {
      field.hidden = !group;
    });
    // A group meeting starts with the box ticked (more citizens than seats go to more sessions).
    if (changed) { moreSessions.checked = group; }
  }
  team.addEventListener("change", showTeam);
  distribution.addEventListener("change", showDistribution);
  meetingForm.addEventListener("change", function () { showMeetingForm(true); });
});
