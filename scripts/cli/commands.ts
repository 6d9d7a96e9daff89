/**
 * The registry of `pecr` commands: name, one-line summary and a lazy loader of the module that runs it.
 */

/** A command module: runs with the arguments after the command name and returns the exit code. */
export interface CommandModule {
  /** Runs the command. */
  run(args: string[]): Promise<number>;
}

/** A registered command. */
export interface Command {
  /** One line for the usage text. */
  readonly summary: string;
  /** Loads the command's module. */
  load(): Promise<CommandModule>;
}

/** Every `pecr` command. */
export const commands: Record<string, Command> = {
};
