/**
 * Types for the `asterisk-manager` package (0.2.x), which ships none. They describe only what
 * ami-client.ts uses, as the library's source (lib/ami.js) actually behaves: frames arrive as
 * objects whose keys are the AMI header names lower-cased; a response is emitted under its
 * ActionID with the frame as the error when `Response: Error`.
 */
declare module 'asterisk-manager' {
  namespace AsteriskManager {
    /** One parsed AMI frame: header names lower-cased; a repeated header becomes an array. */
    type Frame = Record<string, unknown>;

    interface Manager {
      on(event: string, listener: (...args: any[]) => void): Manager;
      once(event: string, listener: (...args: any[]) => void): Manager;
      removeAllListeners(event?: string): Manager;
      listeners(event: string): unknown[];
      /** Opens the TCP connection; `callback` runs once it is open (not on failure). */
      connect(port: number, host: string, callback?: () => void): void;
      /** Sends Login with the constructor's credentials; `err` is the error frame. */
      login(callback?: (err?: Frame) => void): void;
      /** Writes the action (no timeout, no value checks) and returns the ActionID used. */
      action(fields: Record<string, string>, callback?: (err: Frame | undefined, response: Frame) => void): string;
      /** Half-closes an open socket and forgets it; an opening socket is only forgotten. */
      disconnect(callback?: () => void): void;
      isConnected(): boolean | undefined;
    }
  }

  function AsteriskManager(port?: number, host?: string, username?: string, password?: string, events?: boolean): AsteriskManager.Manager;

  export = AsteriskManager;
}
