// One <audio> player for a list of sounds (the audio library, voicemail messages): "Play" on a row shows
// it above the list with its title and the browser's own controls (keyboard-operable), and starts it.
//
//   const sound = player({ title: (row) => text, url: (row) => href, onEnded: (row) => {} })
//   sound.element        to put above the list (hidden until something plays)
//   sound.play(row)      show and start row's sound (the same row again: from where it was)
//   sound.current()      the id of the row loaded ("" when none)
//   sound.stop()         pause and hide (the row was deleted)

import { el, uid } from "./dom.js";

export function player({ title, url, onEnded = () => {} }) {
  const caption = el("p", { id: uid("playing"), class: "now-playing-title" });
  const audio = el("audio", { controls: true, preload: "none", class: "audio-player", "aria-labelledby": caption.id });
  const element = el("div", { class: "now-playing", hidden: true }, caption, audio);
  let playing = null;
  audio.addEventListener("ended", () => {
    if (playing) onEnded(playing);
  });
  return {
    element,
    play(row) {
      playing = row;
      caption.textContent = title(row);
      if (audio.dataset.id !== String(row.id)) {
        audio.dataset.id = String(row.id);
        audio.src = url(row);
      }
      element.hidden = false;
      audio.play().catch(() => {}); // the controls are there to start it by hand
    },
    current: () => audio.dataset.id || "",
    stop() {
      audio.pause();
      element.hidden = true;
      playing = null;
    },
  };
}
