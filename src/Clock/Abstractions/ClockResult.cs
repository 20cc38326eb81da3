namespace Sync.Clock.Abstractions;

/// <summary>A value or a <see cref="ClockError"/>; clock I/O reports failures this way instead of throwing.</summary>
public readonly struct ClockResult<T>
{
    private readonly T? _value;

    private ClockResult(T? value, ClockError? error) { _value = value; Error = error; }

    public ClockError? Error { get; }
    public bool IsOk => Error is null;
    public T Value => Error is null ? _value! : throw new InvalidOperationException(Error.ToString());

    public static ClockResult<T> Ok(T value) => new(value, null);
    public static ClockResult<T> Fail(ClockError error) => new(default, error);
    public static implicit operator ClockResult<T>(ClockError error) => Fail(error);
}
