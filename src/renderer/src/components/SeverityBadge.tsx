import { Badge } from '@mantine/core'
import type { Severity } from '../../../shared/api'
import { SEVERITY_COLOR } from '../theme'

export function SeverityBadge({ severity }: { severity: Severity }) {
  const c = SEVERITY_COLOR[severity]
  return (
    <Badge size="xs" variant="outline" style={{ color: c, borderColor: c, minWidth: 70 }}>
      {severity}
    </Badge>
  )
}
