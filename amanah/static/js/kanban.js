// Lead board: drag a card to a later column (SortableJS). The move is posted to the same
// endpoint as the card's own "Pindahkan" form, so the server applies the same rules and the
// board still works without JS or a mouse. Closing needs a reason, so a drop on a closed
// column does not post: it opens the card's form with the target chosen and asks for one.
(function () {
  "use strict";

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function announce(text, isError) {
    const box = document.getElementById("kanban-status");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
    box.classList.toggle("flash-error", Boolean(isError));
  }

  function allowedMoves(card) {
    return (card.dataset.moves || "").split(" ").filter(Boolean);
  }

  function putBack(evt) {
    const anchor = evt.from.children[evt.oldIndex] || null;
    evt.from.insertBefore(evt.item, anchor);
  }

  function bump(list, delta) {
    const badge = list.closest(".kanban-col").querySelector("[data-count]");
    if (badge) badge.textContent = String(Math.max(0, Number(badge.textContent) + delta));
  }

  function labelOf(status) {
    const list = document.querySelector(`.kanban-list[data-status="${status}"]`);
    return list ? list.dataset.label : status;
  }

  function refreshCard(card, status, moves) {
    card.dataset.status = status;
    card.dataset.moves = moves.join(" ");
    const select = card.querySelector("select[name=to_status]");
    if (!select) return;
    if (!moves.length) {
      card.querySelector(".lead-move").remove();
      return;
    }
    select.replaceChildren(
      ...moves.map((m) => {
        const option = document.createElement("option");
        option.value = m;
        option.textContent = labelOf(m);
        return option;
      }),
    );
  }

  function askForReason(card, status) {
    const details = card.querySelector(".lead-move");
    if (!details) return;
    details.open = true;
    card.querySelector("select[name=to_status]").value = status;
    const reason = card.querySelector("input[name=reason]");
    reason.required = true;
    reason.focus();
    announce(`Tuliskan alasan penutupan (${labelOf(status)}) lalu klik Simpan.`, false);
  }

  async function post(card, status) {
    const form = card.querySelector("form.lead-move-form");
    const body = new URLSearchParams({ to_status: status, reason: "", csrfmiddlewaretoken: csrfToken() });
    const response = await fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body,
    });
    const data = await response.json().catch(() => ({}));
    // A lapsed session answers with the login page, not JSON: say so instead of guessing.
    if (!response.ok || !data.status) {
      throw new Error(data.message || "Gagal memindahkan lead; muat ulang halaman lalu coba lagi.");
    }
    return data;
  }

  async function onEnd(evt) {
    if (evt.to === evt.from) return;
    const card = evt.item;
    const status = evt.to.dataset.status;
    if (evt.to.dataset.closed) {
      putBack(evt);
      askForReason(card, status);
      return;
    }
    try {
      const data = await post(card, status);
      bump(evt.from, -1);
      bump(evt.to, +1);
      refreshCard(card, data.status, data.moves || []);
      announce(`Lead dipindah ke ${labelOf(data.status)}.`, false);
    } catch (error) {
      putBack(evt);
      announce(error.message, true);
    }
  }

  function start() {
    const board = document.querySelector(".kanban");
    if (!board || board.dataset.canMove !== "1" || typeof window.Sortable === "undefined") return;
    board.querySelectorAll(".kanban-list").forEach((list) => {
      window.Sortable.create(list, {
        group: {
          name: "leads",
          pull: true,
          // Only the moves the server would accept light up as drop targets.
          put: (to, _from, dragged) => allowedMoves(dragged).includes(to.el.dataset.status),
        },
        sort: false,
        animation: 150,
        draggable: ".kanban-card",
        filter: "details, input, select, button, textarea",
        preventOnFilter: false,
        onEnd,
      });
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
