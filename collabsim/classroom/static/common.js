// collabsim classroom: tiny helpers shared by the teacher's and the students' pages
"use strict";
const LEVELS = ["aware", "networking", "coordination", "cooperation", "collaboration"];
// Okabe-Ito: colour-blind-safe sector colours
const SECTOR_COLOURS = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"];

function esc(x) {
  return String(x).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

async function api(path, options) {
  const opts = Object.assign({headers: {}}, options || {});
  if (opts.json !== undefined) {
    opts.method = opts.method || "POST";
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(opts.json);
    delete opts.json;
  }
  const response = await fetch(path, opts);
  let data = {};
  try { data = await response.json(); } catch (e) { data = {error: "the server sent no answer (" + response.status + ")"}; }
  if (!response.ok) { const err = new Error(data.error || ("error " + response.status)); err.status = response.status; throw err; }
  return data;
}

function setText(id, text, cls) {
  const el = document.getElementById(id);
  el.textContent = text;
  if (cls !== undefined) el.className = cls;
}
