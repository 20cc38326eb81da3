using Microsoft.Extensions.DependencyInjection;
using Sync.Daemon.Configuration;

namespace Sync.Daemon.Modes;

/// <summary>
/// PLACEHOLDER for the integrator: register the sync loop here. It must add an ISyncStatusProvider singleton
/// (e.g. a SyncStatusPublisher the loop calls Publish on every tick) and the loop as a hosted service, then
/// return true. Returning false makes `sync` exit 70 ("not yet wired").
/// </summary>
public static class SyncLoopWiring
{
    public static bool TryAdd(IServiceCollection services, VirtsyncOptions options) => false;
}
