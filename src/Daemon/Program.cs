return Sync.Daemon.Cli.CommandLine.Run(args);
