namespace Sync.Clock.Simulation;

/// <summary>A scenario that cannot be loaded or built; the message says what is wrong and what is allowed.</summary>
public sealed class ScenarioException(string message, Exception? inner = null) : Exception(message, inner);
