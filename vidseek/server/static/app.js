// vidseek's page. Every text that comes from a video (speech, on-screen text, captions, subtitles) is put
// into the page with textContent, never as HTML: a video can show "<script>…" and it must stay words.
"use strict";

let SOURCES = {};  // name -> [label, colour]: the registered sources, from /api/sources
const OTHER = "#7f8c8d";  // a source the server did not list (evidence of a plugin since removed)
const $ = (id) => document.getElementById(id);
const player = $("player");
let videos = [];
let current = null;  // the video in the player
let sceneList = [];  // the current video's scenes, for the strip's highlight
const STRIP_SCENES = 80;  // a long film's shots are joined to at most this many for the strip
let token = new URLSearchParams(location.hash.slice(1)).get("token") || sessionStorage.getItem("vidseek-token") || "";

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key === "style") node.style.cssText = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function withToken(url) {
  return token ? url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token) : url;
}

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json", ...(token ? { "X-Vidseek-Token": token } : {}) };
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => ({ error: response.statusText }));
  if (response.status === 401 || response.status === 403 && body.error === "wrong token") {
    $("token-form").hidden = false;
  }
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

function sourceBadge(source, derived = false) {
  // a chapter or synopsis row was written by a model from the evidence: the badge says so
  const [label, colour] = SOURCES[source] || [source.toUpperCase(), OTHER];
  return el("span", { class: "source", text: derived ? `${label} (model-written)` : label, style: `--c: ${colour}`,
                      title: derived ? `${source}: written by a model from the evidence, not evidence` : source });
}

function colourOf(source) {
  return (SOURCES[source] || ["", OTHER])[1];
}

function say(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

async function start() {
  // colours are checked as #rrggbb by the server's registry, so they are safe inside a style
  SOURCES = Object.fromEntries((await api("/api/sources")).map((s) => [s.name, [s.label, s.colour]]));
  await loadVideos();
}

async function loadVideos(select) {
  videos = await api("/api/videos");
  const menu = $("video");
  menu.replaceChildren(...videos.map((v) => el("option", { value: v.id, text: `${v.label} (${clock(v.duration)})` })));
  if (!videos.length) { say("No videos indexed yet: index a file above."); return; }
  const chosen = select || (current && current.id) || videos[0].id;
  menu.value = chosen;
  await showVideo(chosen);
}

async function showVideo(id) {
  const video = videos.find((v) => v.id === id);
  if (!video) return;
  if (!current || current.id !== id) {
    current = video;
    $("video").value = id;
    if (video.playable) player.src = withToken(`/api/videos/${id}/file`);
    else { player.removeAttribute("src"); say(`${video.path} is not under a folder this server may read.`, true); }
    showDownloads(video);
    await drawTimeline(video);
    await drawScenes(video);
    await drawChapters(video);
  }
}

function showDownloads(video) {
  // speech and subtitles by default; a video with neither offers what it has (on-screen text, objects, …)
  const spoken = video.sources.some((s) => s === "speech" || s === "subtitle");
  const sources = spoken ? "" : video.sources.map((s) => "&source=" + encodeURIComponent(s)).join("");
  for (const fmt of ["srt", "vtt", "txt"]) {
    $(`export-${fmt}`).href = withToken(`/api/videos/${video.id}/export?format=${fmt}${sources}`);
  }
  $("downloads").hidden = !video.sources.length;
}

// Chapters, when the video has been summarized (vidseek summary, index --summaries, or an agent question):
// bands over the timeline and a list; each seeks the player. Titles and lines are video text: set as text.
async function drawChapters(video) {
  const list = $("chapters");
  list.replaceChildren();
  let summary;
  try { summary = await api(`/api/videos/${video.id}/summary`); } catch { return; }
  $("synopsis").textContent = summary.synopsis;
  const strip = $("timeline");
  summary.chapters.forEach((c, n) => {
    const head = c.title || (c.lines[0] ? c.lines[0].text : "");
    strip.prepend(el("div", {  // under the marks, so a mark stays clickable
      class: "chapter", title: `${clock(c.start)} ${head}`,
      style: `left:${100 * c.start / video.duration}%; width:${100 * (c.end - c.start) / video.duration}%;`
           + (n % 2 ? "background: rgba(0,0,0,0.06);" : ""),
      onclick: () => seek(video.id, c.start),
    }));
    list.append(el("li", { onclick: () => seek(video.id, c.start) }, [
      el("span", { class: "time", text: `${clock(c.start)}–${clock(c.end)} ` }),
      el("strong", { text: head }),
      el("span", { text: c.summary ? ` ${c.summary}` : "" }),
    ]));
  });
}

// The scene strip under the player: a card per scene (its picture, time, first words said and shown), each
// seeking the player to the scene's start. Scene words are video text: set as text.
async function drawScenes(video) {
  const strip = $("scenes");
  strip.replaceChildren();
  sceneList = [];
  strip.hidden = true;
  if (!video.playable) return;
  try { sceneList = await api(`/api/videos/${video.id}/scenes?max=${STRIP_SCENES}`); } catch { return; }
  strip.replaceChildren(...sceneList.map((c) => el("li", {
    "data-start": c.start, "data-end": c.end, title: `${clock(c.start)}–${clock(c.end)} ${c.said} ${c.shown}`.trim(),
    onclick: () => seek(video.id, c.start),
  }, [
    el("img", { src: withToken(c.thumbnail), alt: "", loading: "lazy" }),
    el("span", { class: "when", text: `${c.index} · ${clock(c.start)}–${clock(c.end)}` }),
    el("span", { class: "said", text: c.said }),
    el("span", { class: "shown", text: c.shown }),
  ])));
  strip.hidden = !sceneList.length;
}

function markScene(seconds) {
  const items = $("scenes").children;
  sceneList.forEach((c, n) => {
    const now = c.start <= seconds && seconds < c.end;
    if (items[n] && now !== items[n].classList.contains("now")) items[n].classList.toggle("now", now);
  });
}

async function drawTimeline(video) {
  const items = await api(`/api/videos/${video.id}/evidence`);
  const strip = $("timeline");
  // one row per source, and for speech (or subtitles) with speakers one row per speaker: "speech · S2"
  const lane = (e) => (e.speaker ? `${e.source} · ${e.speaker}` : e.source);
  const lanes = [...new Set(items.map(lane))];
  const sourceOf = new Map(items.map((e) => [lane(e), e.source]));
  const row = (name) => 4 + lanes.indexOf(name) * (36 / Math.max(lanes.length, 1));
  strip.replaceChildren(...items.map((e) => el("div", {
    class: "mark",
    title: `${clock(e.start)} ${lane(e)}: ${e.text}`,  // an attribute set as text, never parsed
    style: `left:${100 * e.start / video.duration}%; width:${100 * Math.max(e.end - e.start, 0.2) / video.duration}%;`
         + `top:${row(lane(e))}px; background: ${colourOf(e.source)}`,
    onclick: () => seek(video.id, e.start),
  })), el("div", { class: "cursor", id: "cursor" }));
  $("legend").replaceChildren(...lanes.map((name) => el("span", {
    text: name, style: `--c: ${colourOf(sourceOf.get(name))}` })));
}

function whenReady() {
  return player.readyState >= 1 ? Promise.resolve()
    : new Promise((resolve) => player.addEventListener("loadedmetadata", resolve, { once: true }));
}

async function seek(videoId, seconds) {
  await showVideo(videoId);
  await whenReady();
  player.currentTime = seconds;
  player.play().catch(() => {});  // autoplay may be refused; the player is at the moment either way
}

player.addEventListener("timeupdate", () => {
  const cursor = $("cursor");
  if (cursor && current) cursor.style.left = `${100 * player.currentTime / current.duration}%`;
  markScene(player.currentTime);
});

function showAnswer(answer) {
  $("answer").hidden = false;
  $("answer-text").textContent = answer.choice ? `${answer.choice}) ${answer.text}` : answer.text;
  $("citations").replaceChildren(...answer.citations.map((c) => {
    const name = (videos.find((v) => v.id === c.video) || { label: "" }).label;  // with its folder if names repeat
    return el("button", {
      class: "chip", "data-start": c.start, "data-end": c.end, "data-video": c.video,
      text: `▶ ${clock(c.start)}–${clock(c.end)} ${c.source}${current && c.video !== current.id ? " · " + name : ""}`,
      onclick: () => seek(c.video, c.start),
    });
  }));
  $("notes").replaceChildren(...answer.notes.map((n) => el("li", { text: n })));
  const cited = new Set(answer.citations.map((c) => `${c.video}|${c.start}|${c.end}`));
  $("evidence").replaceChildren(...answer.evidence.map((e) => el("li", {
    class: cited.has(`${e.video}|${e.start}|${e.end}`) ? "cited" : "",
    onclick: () => seek(e.video, e.start),
  }, [
    el("img", { src: withToken(e.thumbnail), alt: "", loading: "lazy" }),
    el("div", {}, [sourceBadge(e.source, e.derived), el("span", { class: "when", text: `${clock(e.start)}–${clock(e.end)}` }),
                   ...(e.speaker ? [el("span", { class: "speaker", text: e.speaker })] : []),
                   el("div", { class: "text", text: e.text })]),
  ])));
}

$("video").addEventListener("change", (event) => showVideo(event.target.value));

$("ask-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question) { say("Type a question first.", true); return; }
  const choices = $("choices").value.split("\n").map((c) => c.trim()).filter(Boolean);
  const body = { question, choices, video: $("whole-library").checked || !current ? null : current.id,
                 mode: $("mode").value };
  say("Thinking…");
  $("ask").disabled = true;
  try {
    const answer = await api("/api/ask", { method: "POST", body: JSON.stringify(body) });
    showAnswer(answer);
    if (current) drawChapters(current);  // an agent question may have built the chapters just now
    say(`Answered in ${answer.timings.total.toFixed(1)} s (${answer.mode}).`);
  } catch (error) {
    say(error.message, true);
  } finally {
    $("ask").disabled = false;
  }
});

$("index-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const path = $("index-path").value.trim();
  if (!path) return;
  try {
    let job = await api("/api/index", { method: "POST", body: JSON.stringify({ path }) });
    while (job.state === "queued" || job.state === "running") {
      $("job").textContent = `indexing ${Math.round(100 * job.fraction)}%`;
      await new Promise((resolve) => setTimeout(resolve, 700));
      job = await api(`/api/jobs/${job.id}`);
    }
    if (job.state === "failed") throw new Error(job.error);
    $("job").textContent = "indexed";
    await loadVideos(job.video);
  } catch (error) {
    $("job").textContent = "";
    say(error.message, true);
  }
});

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  token = $("token").value;
  sessionStorage.setItem("vidseek-token", token);
  $("token-form").hidden = true;
  start().catch((error) => say(error.message, true));
});

start().catch((error) => say(error.message, true));
