namespace Sync.Daemon.Chrony;

/// <summary>The leap field of chrony's sock_sample.</summary>
public enum ChronyLeap { Normal = 0, InsertSecond = 1, DeleteSecond = 2 }
