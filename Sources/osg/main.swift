import OSGCommands

// The whole CLI lives in OSGCommands so tests can drive it in-process.
await OSGCommand.runFromCommandLine()
