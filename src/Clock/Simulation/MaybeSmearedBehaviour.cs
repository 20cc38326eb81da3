namespace Sync.Clock.Simulation;

/// <summary>What a simulated UTC_MAYBE_SMEARED clock does at a leap second (the guest cannot tell).</summary>
public enum MaybeSmearedBehaviour
{
    /// <summary>Smear it like NOON_LINEAR.</summary>
    Smear,
    /// <summary>Step back like plain UTC.</summary>
    Step,
}
