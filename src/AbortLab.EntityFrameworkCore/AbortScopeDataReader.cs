using System.Collections;
using System.Data;
using System.Data.Common;

namespace AbortLab.EntityFrameworkCore;

/// <summary>
/// The provider's reader, read under the command's run: each read gets the run's token (so a streaming query stops
/// when the request is aborted, whatever token EF Core passes), a provider error caused by the abort comes out as an
/// <see cref="OperationCanceledException"/>, and closing the reader ends the command's tracked work.
/// </summary>
internal sealed class AbortScopeDataReader : DbDataReader
{
    private readonly DbDataReader _inner;
    private readonly RunningCommand _running;

    public AbortScopeDataReader(DbDataReader inner, RunningCommand running)
    {
        _inner = inner;
        _running = running;
    }

    public override int FieldCount => _inner.FieldCount;

    public override int VisibleFieldCount => _inner.VisibleFieldCount;

    public override bool HasRows => _inner.HasRows;

    public override bool IsClosed => _inner.IsClosed;

    public override int RecordsAffected => _inner.RecordsAffected;

    public override int Depth => _inner.Depth;

    public override object this[int ordinal] => _inner[ordinal];

    public override object this[string name] => _inner[name];

    public override bool Read()
    {
        try
        {
            return _inner.Read();
        }
        catch (Exception exception)
        {
            throw Fail(exception);
        }
    }

    public override Task<bool> ReadAsync(CancellationToken cancellationToken) =>
        MoveAsync(static (reader, token) => reader.ReadAsync(token), cancellationToken);

    public override bool NextResult()
    {
        try
        {
            return _inner.NextResult();
        }
        catch (Exception exception)
        {
            throw Fail(exception);
        }
    }

    public override Task<bool> NextResultAsync(CancellationToken cancellationToken) =>
        MoveAsync(static (reader, token) => reader.NextResultAsync(token), cancellationToken);

    public override bool GetBoolean(int ordinal) => _inner.GetBoolean(ordinal);

    public override byte GetByte(int ordinal) => _inner.GetByte(ordinal);

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => _inner.GetBytes(ordinal, dataOffset, buffer, bufferOffset, length);

    public override char GetChar(int ordinal) => _inner.GetChar(ordinal);

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) => _inner.GetChars(ordinal, dataOffset, buffer, bufferOffset, length);

    public override string GetDataTypeName(int ordinal) => _inner.GetDataTypeName(ordinal);

    public override DateTime GetDateTime(int ordinal) => _inner.GetDateTime(ordinal);

    public override decimal GetDecimal(int ordinal) => _inner.GetDecimal(ordinal);

    public override double GetDouble(int ordinal) => _inner.GetDouble(ordinal);

    public override Type GetFieldType(int ordinal) => _inner.GetFieldType(ordinal);

    public override float GetFloat(int ordinal) => _inner.GetFloat(ordinal);

    public override Guid GetGuid(int ordinal) => _inner.GetGuid(ordinal);

    public override short GetInt16(int ordinal) => _inner.GetInt16(ordinal);

    public override int GetInt32(int ordinal) => _inner.GetInt32(ordinal);

    public override long GetInt64(int ordinal) => _inner.GetInt64(ordinal);

    public override string GetName(int ordinal) => _inner.GetName(ordinal);

    public override int GetOrdinal(string name) => _inner.GetOrdinal(name);

    public override string GetString(int ordinal) => _inner.GetString(ordinal);

    public override object GetValue(int ordinal) => _inner.GetValue(ordinal);

    public override int GetValues(object[] values) => _inner.GetValues(values);

    public override bool IsDBNull(int ordinal) => _inner.IsDBNull(ordinal);

    public override Task<bool> IsDBNullAsync(int ordinal, CancellationToken cancellationToken) => _inner.IsDBNullAsync(ordinal, cancellationToken);

    public override T GetFieldValue<T>(int ordinal) => _inner.GetFieldValue<T>(ordinal);

    public override Task<T> GetFieldValueAsync<T>(int ordinal, CancellationToken cancellationToken) => _inner.GetFieldValueAsync<T>(ordinal, cancellationToken);

    public override Stream GetStream(int ordinal) => _inner.GetStream(ordinal);

    public override TextReader GetTextReader(int ordinal) => _inner.GetTextReader(ordinal);

    public override Type GetProviderSpecificFieldType(int ordinal) => _inner.GetProviderSpecificFieldType(ordinal);

    public override object GetProviderSpecificValue(int ordinal) => _inner.GetProviderSpecificValue(ordinal);

    public override int GetProviderSpecificValues(object[] values) => _inner.GetProviderSpecificValues(values);

    public override DataTable? GetSchemaTable() => _inner.GetSchemaTable();

    public override IEnumerator GetEnumerator() => ((IEnumerable)_inner).GetEnumerator();

    public override void Close()
    {
        try
        {
            _inner.Close();
        }
        finally
        {
            _running.End();
        }
    }

    public override async Task CloseAsync()
    {
        try
        {
            await _inner.CloseAsync();
        }
        finally
        {
            _running.End();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await _inner.DisposeAsync();
        }
        finally
        {
            _running.End();
        }
    }

    // The base class closes the reader (Close above, which ends the run), then the provider's reader is disposed.
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _inner.Dispose();
        }
    }

    // A read or a move to the next result, with the run's token, its abort reported as a cancellation.
    private async Task<bool> MoveAsync(Func<DbDataReader, CancellationToken, Task<bool>> move, CancellationToken cancellationToken)
    {
        var token = _running.TokenFor(cancellationToken, out var linked);
        try
        {
            return await move(_inner, token);
        }
        catch (Exception exception)
        {
            throw Fail(exception);
        }
        finally
        {
            linked?.Dispose();
        }
    }

    private Exception Fail(Exception exception)
    {
        var translated = _running.Translate(exception);
        if (!ReferenceEquals(translated, exception))
        {
            _running.End(translated);
        }

        return translated;
    }
}
