/** What the chat example's scripted client prints (test/chat.test.ts, test/examples.test.ts). */

/** What the scripted client prints (pids normalized). */
export const clientLines = [
  "ada joins lobby",
  "    ada sees joined lobby (history: empty)",
  "    ada sees * ada joined lobby",
  "joe joins lobby",
  "    joe sees joined lobby (history: empty)",
  "    ada sees * joe joined lobby",
  "    joe sees * joe joined lobby",
  "ada says: hello, joe",
  "    ada sees [lobby] ada: hello, joe",
  "    joe sees [lobby] ada: hello, joe",
  "joe says: hi ada! effect-otp is up",
  "    ada sees [lobby] joe: hi ada! effect-otp is up",
  "    joe sees [lobby] joe: hi ada! effect-otp is up",
  "joe says: /crash",
  "    ada sees * joe typed /crash: room lobby trips over a bug",
  "    ada sees * room lobby crashed: Error: room lobby tripped over a bug",
  "    ada sees * room lobby restarted clean as <pid> (history cleared); you are still in it",
  "    joe sees * joe typed /crash: room lobby trips over a bug",
  "    joe sees * room lobby crashed: Error: room lobby tripped over a bug",
  "    joe sees * room lobby restarted clean as <pid> (history cleared); you are still in it",
  "ada says: we lost the history, but not each other",
  "    ada sees [lobby] ada: we lost the history, but not each other",
  "    joe sees [lobby] ada: we lost the history, but not each other",
  "bob joins lobby",
  "    bob sees joined lobby (history: ada: we lost the history, but not each other)",
  "    ada sees * bob joined lobby",
  "    joe sees * bob joined lobby",
  "    bob sees * bob joined lobby",
  "session over"
]
