// The bench's conversation with the server it started (a child process with an IPC channel):
// send a message and wait for the first answer carrying `key`.

/** Sends `message` to `child` and resolves with the first answer's `key` field. */
export function askChild(child, message, key) {
  return new Promise((resolve) => {
    const on = (answer) => {
      if (answer?.[key] !== undefined) {
        child.off('message', on);
        resolve(answer[key]);
      }
    };
    child.on('message', on);
    child.send(message);
  });
}
