// The expert's scoring form: the total of the indicator scores is computed as they are typed
// (the server computes it again on saving; the page works without this script). Enter in a
// score moves to the next one, so that a sitting of forty institutions stays on the keyboard.
(() => {
  const form = document.querySelector("[data-score-form]");
  if (!form) return;
  const inputs = Array.from(form.querySelectorAll("[data-indicator-score]"));
  const total = document.querySelector("[data-score-total]");
  function update() {
    let sum = 0;
    let typed = 0;
    inputs.forEach((input) => {
      const value = Number.parseFloat(input.value);
      if (input.value !== "" && !Number.isNaN(value)) {
        sum += value;
        typed += 1;
      }
    });
    // Nothing typed yet: a dash; some indicators left: at least the sum so far.
    if (!total) return;
    if (typed === 0) total.textContent = "—";
    else total.textContent = (typed < inputs.length ? "≥ " : "") + sum.toFixed(2);
  }
  inputs.forEach((input, index) => {
    input.addEventListener("input", update);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && index < inputs.length - 1) {
        event.preventDefault();
        inputs[index + 1].focus();
      }
    });
  });
  update();
})();
