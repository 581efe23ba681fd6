/**
 * The chat's browser page, served at `/`: plain HTML and JavaScript, no build step.
 *
 * It speaks the chat's WebSocket protocol (see `examples/chat.ts`): sends `join`, `say` (the
 * text `/crash` asks the room to crash) and shows what comes back: the room's history on join,
 * each message said in the room, and the system notices (who joined or left, a room that
 * crashed and came back). When the connection drops it reconnects and joins the same room again.
 */
export const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>effect-otp chat</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; display: flex; flex-direction: column; height: 100vh; }
  header { padding: 8px 12px; background: #1d2433; color: #fff; display: flex; gap: 8px; align-items: center; }
  header h1 { font-size: 16px; margin: 0 12px 0 0; }
  header input { width: 9em; }
  #status { margin-left: auto; font-size: 13px; opacity: .8; }
  #log { flex: 1; overflow-y: auto; margin: 0; padding: 8px 12px; list-style: none; }
  #log li { padding: 1px 0; }
  #log li.notice { color: #8a5a00; font-style: italic; }
  #log li.error { color: #b00020; }
  #log li.history { color: #777; }
  #log .user { font-weight: 600; }
  form#say { display: flex; gap: 8px; padding: 8px 12px; border-top: 1px solid #ddd; }
  form#say input { flex: 1; }
</style>
</head>
<body>
<header>
  <h1>effect-otp chat</h1>
  <form id="join">
    <input id="user" placeholder="your name" maxlength="24" required>
    <input id="room" placeholder="room" value="lobby" maxlength="32" required>
    <button id="join-button">Join</button>
  </form>
  <span id="status">not connected</span>
</header>
<ul id="log" aria-live="polite"></ul>
<form id="say">
  <input id="text" placeholder="say something (/crash crashes the room)" maxlength="500" autocomplete="off" disabled>
  <button id="send" disabled>Send</button>
</form>
<script>
(() => {
  const $ = (id) => document.getElementById(id)
  const log = $("log")
  let socket = null
  let joined = null // { user, room } once the server confirmed the join
  let wanted = null // what to join (again, after a reconnect)
  let retry = null
  let shown = null // the room whose history the log shows

  const add = (cls, parts) => {
    const li = document.createElement("li")
    li.className = cls
    for (const [text, c] of parts) {
      const span = document.createElement("span")
      if (c) span.className = c
      span.textContent = text
      li.appendChild(span)
    }
    log.appendChild(li)
    log.scrollTop = log.scrollHeight
  }
  const status = (text) => { $("status").textContent = text }
  const ready = (on) => { $("text").disabled = !on; $("send").disabled = !on }

  const connect = () => {
    retry = null
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws"
    socket = new WebSocket(url)
    status("connecting")
    socket.onopen = () => {
      status("connected")
      if (wanted) socket.send(JSON.stringify({ type: "join", user: wanted.user, room: wanted.room }))
    }
    socket.onmessage = (event) => {
      let m
      try { m = JSON.parse(event.data) } catch { return }
      switch (m.type) {
        case "joined":
          // After a reconnect to the same room, the page already shows its history.
          if (m.room !== shown) for (const line of m.history) add("history", [[line]])
          shown = m.room
          joined = { user: m.user, room: m.room }
          status(m.user + " in " + m.room)
          ready(true)
          break
        case "said":
          add("said", [["[" + m.room + "] "], [m.user, "user"], [": " + m.text]])
          break
        case "notice":
          add("notice", [["* " + m.text]])
          break
        case "error":
          add("error", [["! " + m.text]])
          break
      }
    }
    socket.onclose = () => {
      ready(false)
      if (joined) add("notice", [["* disconnected; reconnecting"]])
      joined = null
      status("disconnected")
      if (retry === null) retry = setTimeout(connect, 1000)
    }
  }

  $("join").addEventListener("submit", (event) => {
    event.preventDefault()
    wanted = { user: $("user").value.trim(), room: $("room").value.trim() }
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "join", ...wanted }))
    else if (!socket) connect()
  })
  $("say").addEventListener("submit", (event) => {
    event.preventDefault()
    const text = $("text").value
    if (!joined || text.trim() === "") return
    socket.send(JSON.stringify({ type: "say", text }))
    $("text").value = ""
  })
})()
</script>
</body>
</html>
`
