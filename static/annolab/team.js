"use strict";
// Team tab: members in priority order (GET members), add (POST) and remove (DELETE). A site
// admin may tick "new user": the account is created first (POST /api/users/), then added.
(() => {
  const root = document.getElementById("team-tab");
  if (!root) return;
  const { h } = annolab;
  const project = JSON.parse(document.getElementById("setup-data").textContent).project;
  const membersUrl = annolab.projectUrl(project, "members/");
  const body = root.querySelector("#members tbody");
  const form = document.getElementById("member-add");
  const error = form.querySelector("[data-role=error]");
  let loaded = false;

  function showError(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  async function remove(member) {
    if (!window.confirm(`Remove ${member.username} from ${project}?`)) return;
    try {
      await annolab.del(`${membersUrl}${encodeURIComponent(member.username)}/`);
      await load();
    } catch (failure) {
      showError(annolab.describe(failure));
    }
  }

  async function load() {
    try {
      const members = await annolab.all(membersUrl);
      body.replaceChildren(
        ...members.map((member) =>
          h("tr", { "data-username": member.username },
            h("td", { class: "num" }, member.priority),
            h("td", {}, member.username),
            h("td", {}, member.role),
            h("td", { class: "actions" },
              member.role === "owner"
                ? h("span", { class: "hint" }, "owner")
                : h("button", { type: "button", class: "link danger", onclick: () => remove(member) }, "Remove")))
        )
      );
      loaded = true;
    } catch (failure) {
      showError(annolab.describe(failure));
    }
  }

  const newUser = form.elements.new_user;
  if (newUser) {
    newUser.addEventListener("change", () => {
      form.querySelectorAll("[data-role=new-user]").forEach((label) => { label.hidden = !newUser.checked; });
      form.elements.password.required = newUser.checked;
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError("");
    const priority = form.elements.priority.value.trim();
    const member = { username: form.elements.username.value.trim(), role: form.elements.role.value };
    if (priority) member.priority = Number(priority);
    try {
      if (newUser && newUser.checked) {
        const user = { username: member.username, password: form.elements.password.value };
        const email = form.elements.email.value.trim();
        if (email) user.email = email; // the API takes an address or none, not ""
        await annolab.post("/api/users/", user);
      }
      await annolab.post(membersUrl, member);
      form.reset();
      form.querySelectorAll("[data-role=new-user]").forEach((label) => { label.hidden = true; });
      await load();
    } catch (failure) {
      showError(annolab.describe(failure));
    }
  });

  // How many annotators label each task (PATCH the project's completions_per_task).
  const overlap = document.getElementById("overlap-form");
  const overlapStatus = overlap.querySelector("[data-role=status]");
  overlap.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const saved = await annolab.patch(annolab.projectUrl(project, ""), {
        completions_per_task: Number(overlap.elements.completions_per_task.value),
      });
      overlap.elements.completions_per_task.value = saved.completions_per_task;
      overlapStatus.textContent = "Saved.";
      overlapStatus.className = "message ok";
    } catch (failure) {
      overlapStatus.textContent = annolab.describe(failure);
      overlapStatus.className = "message error";
    }
  });

  // Loaded when the tab is first shown: the other tabs do not need the list.
  document.addEventListener("setup:tab", (event) => {
    if (event.detail === "team" && !loaded) load();
  });
  if (!root.hidden) load();
})();
